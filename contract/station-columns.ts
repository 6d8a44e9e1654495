/**
 * The columns of station spreadsheets (import and export), with the Chinese headers the
 * console shows; either header is accepted on import.
 */
export const STATION_COLUMNS = {
  code: '编号',
  name: '名称',
  address: '地址',
  province: '省份',
  city: '城市',
  district: '区县',
  lon: '经度',
  lat: '纬度',
  amenities: '设施',
  capacity: '座位数',
  charging_points: '充电桩',
  opening_hours: '开放时间',
  phone: '电话',
  operator: '运营单位',
  state: '状态',
} as const
export type StationColumn = keyof typeof STATION_COLUMNS
