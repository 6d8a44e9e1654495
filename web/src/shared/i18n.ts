import { AMENITY_LABELS_ZH, type Availability, type Supply } from '../../../contract/vocabulary.ts'
import type { TravelMode } from './api.ts'
import type { LiveState } from './live.ts'

export type Lang = 'zh' | 'en'

const zh = {
  appName: '驿站 Yizhan',
  tagline: '湖南户外劳动者服务驿站',
  switchLang: 'EN',
  switchLangLabel: 'Switch to English',
  nav: { courier: '地图', manager: '站长', planner: '规划' },
  navLabel: '页面',
  mapLabel: '驿站地图',
  legendTitle: '图例',
  availability: {
    open: '有空位',
    full: '已满',
    closed: '非开放时间',
    temporarily_closed: '暂停服务',
    unknown: '状态未知',
  } satisfies Record<Availability, string>,
  stale: '久未更新',
  stationCount: (n: number) => `共 ${n.toLocaleString('zh-CN')} 个驿站`,
  freeSeats: (free: number, capacity: number) => `${free} 个空位 · 共 ${capacity} 座`,
  seats: (capacity: number) => `共 ${capacity} 座`,
  chargersFree: (free: number, all: number) => `充电桩 ${free}/${all} 空闲`,
  address: '地址',
  openingHours: '开放时间',
  phone: '电话',
  openNow: '营业中',
  closedNow: '休息中',
  reported: '更新',
  neverReported: '暂无上报',
  justNow: '刚刚',
  loading: '正在加载…',
  detailsFailed: '详情暂时无法加载',
  serverUnreachable: '暂时连不上服务器，请稍后再试。',
  live: {
    connecting: '连接中…',
    live: '实时',
    zoom: '放大地图后实时更新',
    reconnecting: '连接中断，正在重连…',
  } satisfies Record<LiveState, string>,
  liveTitle: '空位和物资状态会实时更新',
  sheetToggle: '展开或收起列表',
  // courier
  locate: '定位我附近的驿站',
  locating: '正在定位…',
  orTapMap: '也可以点击地图上的任意位置',
  geoDenied: '没有定位权限。请在浏览器中允许定位，或点击地图选择位置。',
  geoFailed: '暂时无法定位。请点击地图选择位置。',
  geoUnsupported: '这个浏览器不支持定位。请点击地图选择位置。',
  filters: '筛选',
  openNowFilter: '营业中',
  availableFilter: '有空位',
  amenityFilter: '设施',
  clearFilters: '清除筛选',
  nearestFromMe: '离你最近的驿站',
  nearestFromPoint: '离所选位置最近的驿站',
  searching: '正在查找…',
  searchFailed: '查找失败，请检查网络后重试。',
  retry: '重试',
  noResults: '附近没有符合条件的驿站。',
  resultsHint: '点击驿站查看详情和导航',
  distance: (m: number) => (m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(1)} 公里`),
  amenities: AMENITY_LABELS_ZH,
  supplies: {
    drinking_water: '饮用水',
    first_aid: '急救用品',
    heatstroke_medicine: '防暑药品',
    sanitary_products: '卫生用品',
    hand_warmers: '暖宝宝',
    umbrellas: '爱心雨伞',
  } satisfies Record<Supply, string>,
  supplyLow: (item: string) => `${item}不足`,
  low: '不足',
  back: '返回列表',
  amenitiesTitle: '设施',
  suppliesTitle: '物资',
  noSupplies: '暂无物资信息',
  navigateTitle: '导航',
  navApps: { amap: '高德地图', baidu: '百度地图', osm: 'OpenStreetMap' },
  weekdays: ['周一', '周二', '周三', '周四', '周五', '周六', '周日'],
  allDay: '全天 24 小时',
  holidays: '节假日',
  dayOff: '休息',
  // station request
  requestOpen: '这里需要一个驿站',
  requestTitle: '申请在这里建驿站',
  requestIntro: '告诉工会哪里的户外劳动者需要驿站。在地图上点击，标出位置。',
  requestWhere: '位置',
  requestNoPlace: '请在地图上点击选择位置',
  requestUseMine: '使用我的位置',
  requestAmenities: '希望有的设施',
  requestNote: '补充说明（选填）',
  requestNotePlaceholder: '例如：超市门口，午饭时骑手很多',
  requestSubmit: '提交申请',
  requestSending: '正在提交…',
  requestThanks: '谢谢！你的申请已记录，规划人员会看到它。',
  requestTooMany: '提交太频繁了，请稍后再试。',
  requestFailed: '提交失败，请稍后再试。',
  // manager
  signInTitle: '站长登录',
  signInIntro: '登录后上报驿站的人数、充电桩和物资情况。',
  username: '用户名',
  password: '密码',
  signIn: '登录',
  signingIn: '正在登录…',
  signInFailed: '用户名或密码不对。',
  signInTooMany: '尝试次数太多，请一分钟后再试。',
  signOut: '退出登录',
  switchStation: (n: number) => `切换驿站（共 ${n} 个）`,
  hideStations: '收起列表',
  roles: { admin: '管理员', planner: '规划人员', manager: '站长' },
  myStations: '我的驿站',
  noStations: '你的账号还没有分配驿站。请联系管理员。',
  reportTitle: '上报现在的情况',
  currentStatus: '当前',
  occupancy: '在站人数',
  occupancyHint: (capacity: number) => `共 ${capacity} 座`,
  chargersInUse: '使用中的充电桩',
  chargersHint: (all: number) => `共 ${all} 个`,
  decrease: '减少',
  increase: '增加',
  supplyLevels: '物资余量',
  submitReport: '提交上报',
  submitting: '正在提交…',
  reportSaved: (time: string) => `已上报（${time}）`,
  reportRetry: '网络不稳定，没有提交成功。请重试，不会重复上报。',
  reportRejected: '上报没有被接受：',
  sessionExpired: '登录已过期，请重新登录。',
  notYourStation: '你不是这个驿站的站长。',
  viewOnMap: '在地图上查看',
  alertsTitle: '物资不足提醒',
  noAlerts: '没有未处理的提醒。',
  alertLine: (item: string, level: number, threshold: number) =>
    `${item}剩 ${level}%（低于 ${threshold}%）`,
  busyTitle: '繁忙时段',
  busyIntro: (weeks: number) => `近 ${weeks} 周每小时的平均人数`,
  busyEmpty: '上报还太少，暂时画不出繁忙时段。',
  historyTitle: '最近的上报',
  historyEmpty: '还没有上报记录。',
  historyChart: '在站人数变化',
  capacityLine: (n: number) => `座位 ${n}`,
  people: (n: number) => `${n} 人`,
  by: (name: string) => `上报人 ${name}`,
  planner: {
    signInTitle: '规划人员登录',
    signInIntro: '登录后查看驿站覆盖缺口、生成选址建议。需要规划人员或管理员账号。',
    needsPlannerTitle: '需要规划人员账号',
    needsPlanner: (user: string, role: string) =>
      `你现在以${role}账号 ${user} 登录。覆盖分析只对规划人员和管理员开放，请换一个账号登录。`,
    signInOther: '换一个账号登录',
    summaryTitle: '覆盖情况',
    coverage: '覆盖率',
    ratioLabel: '覆盖率',
    analysing: '正在分析…',
    totalDemand: '总需求',
    coveredDemand: '已覆盖',
    gapCells: '缺口格子',
    gapDemand: '缺口格子里的需求',
    noDemand: '这个范围里没有需求点。',
    invalidSettings: '请先改正分析设置里标红的数值。',
    rejected: '这次分析超出了服务器的限制：',
    timedOut: '分析超时了。请缩小范围或加大格子后重试。',
    failed: '分析失败：',
    useCell: (m: number) => `改用 ${m.toLocaleString('zh-CN')} 米格子`,
    reachRadius: (d: string) => `半径 ${d}`,
    reachTime: (minutes: number, mode: string, d: string) => `${mode} ${minutes} 分钟（约 ${d}）`,
    cellScope: (d: string) => `格子 ${d}`,
    minScope: (n: number) => (n > 1 ? `至少 ${n} 个驿站（交叉覆盖）` : '至少 1 个驿站'),
    scope: (parts: string[]) => `${parts.join(' · ')}。分析范围是地图上的虚线框。`,
    settingsTitle: '分析设置',
    reachLabel: '服务范围',
    byDistance: '按距离',
    byTime: '按时间',
    metres: '米',
    minutes: '分钟',
    modes: { walk: '步行', ebike: '电动车' } satisfies Record<TravelMode, string>,
    cellLabel: '格子大小',
    cellHint: '六边形的边长，也是中心到顶点的距离。',
    minStationsLabel: '覆盖要求',
    oneStation: '1 个驿站',
    crossCoverage: '2 个（交叉覆盖）',
    preset: '15 分钟步行 · 交叉覆盖',
    presetHint: '全国总工会对大城市的目标：步行 15 分钟内至少有 2 个驿站。',
    allCells: '显示全部格子（按到最近驿站的距离着色）',
    requestsLayer: '显示站点申请',
    requestsCount: (n: number, more: boolean) =>
      more ? `显示了前 ${n} 个站点申请` : `范围内有 ${n} 个站点申请`,
    requestsFailed: '站点申请暂时无法加载。',
    analyseView: '分析当前视图',
    analyseHint: '平移或缩放地图不会自动重新分析。',
    outOfRange: (min: number, max: number) =>
      `请填 ${min.toLocaleString('zh-CN')} 到 ${max.toLocaleString('zh-CN')} 之间的数。`,
    suggestTitle: '选址建议',
    suggestIntro: '保留现有驿站，逐个选出能多覆盖最多需求的位置。',
    suggestCount: '个数',
    suggest: (k: number) => `建议 ${k} 个新址`,
    suggesting: '正在计算…',
    noSuggestions: '没有能再增加覆盖的位置了。',
    ratioRise: (from: string, to: string) => `覆盖率 ${from} → ${to}`,
    suggestListHint: '每一行：这个新址多覆盖的需求，和加上它之后的累计覆盖率。',
    addedDemand: (n: string) => `+${n} 需求`,
    sources: { cell: '格子中心', station_request: '站点申请' },
    siteLabel: (rank: number) => `建议新址 ${rank}`,
    whatIfTitle: '假设新建驿站',
    whatIfIntro: '在地图上点击放置假设的驿站，看分析范围内覆盖率的变化。点击标记可删除。',
    whatIfStart: '在地图上放置',
    whatIfStop: '完成放置',
    whatIfClear: '全部清除',
    whatIfPick: '点击地图放置假设驿站（按 Esc 结束）。',
    whatIfEmpty: '还没有放置假设驿站。',
    whatIfSites: (n: number) => `${n} 个假设驿站`,
    computing: '正在计算…',
    whatIfAdded: (n: string) => `多覆盖 ${n} 需求`,
    removeSite: '删除这个假设驿站',
    exportTitle: '导出',
    exportHint: 'CSV 可直接用 Excel 打开；GeoJSON 可导入 GIS 软件。',
    exportGaps: '缺口格子',
    exportSuggestions: '选址建议',
    citiesTitle: '各市覆盖率（全省）',
    citiesIntro: '全省所有需求点，按当前的服务范围和覆盖要求计算，不限于分析范围。',
    city: '城市',
    stations: '驿站',
    demand: '需求',
    noCity: '未归属',
    allCities: '全省',
    cellTitle: (gap: boolean): string => (gap ? '缺口格子' : '格子'),
    cellDemand: (n: string, covered: string) => `需求 ${n}，已覆盖 ${covered}`,
    cellStations: (n: number) => `可达驿站 ${n} 个`,
    cellNearest: (d: string) => `最近的驿站 ${d}`,
    cellNoStation: '附近没有驿站',
    cellRequests: (n: number) => `站点申请 ${n} 个`,
    legendDemand: '缺口格子的需求',
    legendDistance: '到最近驿站的距离',
    legendUpTo: (d: string) => `≤ ${d}`,
    legendBeyond: (d: string) => `> ${d}`,
    legendAll: '全部',
    legendNoCells: '没有缺口格子',
    legendStations: '驿站',
    legendSite: '建议新址',
    legendWhatIf: '假设驿站',
    legendArea: '分析范围',
    legendRequest: '站点申请',
    csv: {
      gaps: [
        '格子编号',
        '中心经度',
        '中心纬度',
        '需求',
        '已覆盖需求',
        '未覆盖需求',
        '站点申请数',
        '可达驿站数',
        '最近驿站编号',
        '最近驿站距离（米）',
      ],
      suggestions: [
        '序号',
        '经度',
        '纬度',
        '来源',
        '新增覆盖',
        '新满足覆盖要求的需求',
        '累计已覆盖需求',
        '累计覆盖率',
      ],
    },
  },
}

type Messages = typeof zh

const en: Messages = {
  appName: '驿站 Yizhan',
  tagline: 'Rest stations for outdoor workers in Hunan',
  switchLang: '中文',
  switchLangLabel: '切换到中文',
  nav: { courier: 'Map', manager: 'Manager', planner: 'Planner' },
  navLabel: 'Pages',
  mapLabel: 'Map of rest stations',
  legendTitle: 'Legend',
  availability: {
    open: 'Seats free',
    full: 'Full',
    closed: 'Closed now',
    temporarily_closed: 'Temporarily closed',
    unknown: 'Unknown',
  },
  stale: 'No recent report',
  stationCount: (n) => `${n.toLocaleString('en')} stations`,
  freeSeats: (free, capacity) => `${free} free · ${capacity} seats in all`,
  seats: (capacity) => `${capacity} seats`,
  chargersFree: (free, all) => `${free} of ${all} chargers free`,
  address: 'Address',
  openingHours: 'Hours',
  phone: 'Phone',
  openNow: 'open now',
  closedNow: 'closed now',
  reported: 'Updated',
  neverReported: 'No report yet',
  justNow: 'just now',
  loading: 'Loading…',
  detailsFailed: 'Details are unavailable right now',
  serverUnreachable: 'The server cannot be reached right now; try again shortly.',
  live: {
    connecting: 'Connecting…',
    live: 'Live',
    zoom: 'Zoom in for live updates',
    reconnecting: 'Connection lost, reconnecting…',
  },
  liveTitle: 'Seats and supplies update live',
  sheetToggle: 'Show or hide the list',
  locate: 'Find stations near me',
  locating: 'Finding you…',
  orTapMap: 'or tap anywhere on the map',
  geoDenied: 'No permission to use your location. Allow it in the browser, or tap the map.',
  geoFailed: 'Your location is unavailable right now. Tap the map instead.',
  geoUnsupported: 'This browser cannot tell your location. Tap the map instead.',
  filters: 'Filters',
  openNowFilter: 'Open now',
  availableFilter: 'Has space',
  amenityFilter: 'Amenities',
  clearFilters: 'Clear filters',
  nearestFromMe: 'Nearest to you',
  nearestFromPoint: 'Nearest to the chosen place',
  searching: 'Searching…',
  searchFailed: 'The search failed. Check your connection and retry.',
  retry: 'Retry',
  noResults: 'No station nearby matches these filters.',
  resultsHint: 'Tap a station for details and directions',
  distance: (m) => (m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`),
  amenities: {
    rest_seating: 'Seating',
    drinking_water: 'Drinking water',
    hot_water: 'Hot water',
    heating: 'Heating',
    air_conditioning: 'Air conditioning',
    rain_shelter: 'Rain shelter',
    phone_charging: 'Phone charging',
    ebike_charging: 'E-bike charging',
    battery_swap: 'Battery swap',
    microwave: 'Microwave',
    fridge: 'Fridge',
    toilet: 'Toilet',
    first_aid: 'First aid',
    sanitary_products: 'Sanitary products',
    wifi: 'Wi-Fi',
  },
  supplies: {
    drinking_water: 'Drinking water',
    first_aid: 'First-aid kit',
    heatstroke_medicine: 'Heatstroke medicine',
    sanitary_products: 'Sanitary products',
    hand_warmers: 'Hand warmers',
    umbrellas: 'Umbrellas',
  },
  supplyLow: (item) => `${item} low`,
  low: 'low',
  back: 'Back to list',
  amenitiesTitle: 'Amenities',
  suppliesTitle: 'Supplies',
  noSupplies: 'No supply information yet',
  navigateTitle: 'Directions',
  navApps: { amap: 'Amap', baidu: 'Baidu Maps', osm: 'OpenStreetMap' },
  weekdays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
  allDay: 'Open 24 hours',
  holidays: 'public holidays',
  dayOff: 'closed',
  requestOpen: 'We need a station here',
  requestTitle: 'Ask for a station here',
  requestIntro:
    'Tell the union where outdoor workers need a rest station. Tap the map to mark the place.',
  requestWhere: 'Place',
  requestNoPlace: 'Tap the map to choose the place',
  requestUseMine: 'Use my location',
  requestAmenities: 'What it should have',
  requestNote: 'Anything else (optional)',
  requestNotePlaceholder: 'e.g. outside the supermarket, many riders at lunchtime',
  requestSubmit: 'Send request',
  requestSending: 'Sending…',
  requestThanks: 'Thank you! Your request is recorded and planners will see it.',
  requestTooMany: 'Too many requests from here; try again later.',
  requestFailed: 'Sending failed; try again later.',
  signInTitle: 'Station manager sign-in',
  signInIntro: 'Sign in to report people, chargers and supplies at your stations.',
  username: 'Username',
  password: 'Password',
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  signInFailed: 'Wrong username or password.',
  signInTooMany: 'Too many attempts; wait a minute.',
  signOut: 'Sign out',
  switchStation: (n) => `Switch station (${n} in all)`,
  hideStations: 'Hide the list',
  roles: { admin: 'admin', planner: 'planner', manager: 'manager' },
  myStations: 'My stations',
  noStations: 'No station is assigned to your account yet. Ask an administrator.',
  reportTitle: 'Report the situation now',
  currentStatus: 'Now',
  occupancy: 'People here',
  occupancyHint: (capacity) => `${capacity} seats`,
  chargersInUse: 'Chargers in use',
  chargersHint: (all) => `${all} in all`,
  decrease: 'Fewer',
  increase: 'More',
  supplyLevels: 'Supplies left',
  submitReport: 'Send report',
  submitting: 'Sending…',
  reportSaved: (time) => `Report sent (${time})`,
  reportRetry: 'The connection failed before the report was confirmed. Retry: it is sent once.',
  reportRejected: 'The report was not accepted: ',
  sessionExpired: 'Your session has ended; sign in again.',
  notYourStation: 'You do not manage this station.',
  viewOnMap: 'Show on the map',
  alertsTitle: 'Low-stock alerts',
  noAlerts: 'No open alerts.',
  alertLine: (item, level, threshold) => `${item} at ${level}% (below ${threshold}%)`,
  busyTitle: 'Busy hours',
  busyIntro: (weeks) => `Mean people per hour over the last ${weeks} weeks`,
  busyEmpty: 'Too few reports yet to show busy hours.',
  historyTitle: 'Recent reports',
  historyEmpty: 'No reports yet.',
  historyChart: 'People over time',
  capacityLine: (n) => `${n} seats`,
  people: (n) => `${n} ${n === 1 ? 'person' : 'people'}`,
  by: (name) => `by ${name}`,
  planner: {
    signInTitle: 'Planner sign-in',
    signInIntro:
      'Sign in to see where the stations leave gaps and where new ones would cover the most. ' +
      'Needs a planner or admin account.',
    needsPlannerTitle: 'This needs a planner account',
    needsPlanner: (user, role) =>
      `You are signed in as ${user}, a ${role} account. Coverage analysis is for planners and ` +
      'admins only: sign in with another account.',
    signInOther: 'Sign in with another account',
    summaryTitle: 'Coverage',
    coverage: 'Coverage',
    ratioLabel: 'of the demand covered',
    analysing: 'Analysing…',
    totalDemand: 'Total demand',
    coveredDemand: 'Covered',
    gapCells: 'Gap cells',
    gapDemand: 'Demand in gap cells',
    noDemand: 'There is no demand in this area.',
    invalidSettings: 'Correct the settings marked in red first.',
    rejected: 'This analysis is over the server’s limits:',
    timedOut: 'The analysis took too long. Try a smaller area or larger cells.',
    failed: 'The analysis failed:',
    useCell: (m) => `Use ${m.toLocaleString('en')} m cells`,
    reachRadius: (d) => `radius ${d}`,
    reachTime: (minutes, mode, d) => `${minutes} min by ${mode} (about ${d})`,
    cellScope: (d) => `${d} cells`,
    minScope: (n) => (n > 1 ? `at least ${n} stations (cross coverage)` : 'at least 1 station'),
    scope: (parts) => `${parts.join(' · ')}. The dashed frame on the map is the analysed area.`,
    settingsTitle: 'Analysis settings',
    reachLabel: 'Reach',
    byDistance: 'Distance',
    byTime: 'Time',
    metres: 'm',
    minutes: 'min',
    modes: { walk: 'walking', ebike: 'e-bike' },
    cellLabel: 'Cell size',
    cellHint: 'The hexagon’s edge, which is also its centre-to-corner distance.',
    minStationsLabel: 'Covered by',
    oneStation: '1 station',
    crossCoverage: '2 (cross coverage)',
    preset: '15 min walk · cross coverage',
    presetHint: 'The federation’s target for major cities: two stations within a 15-minute walk.',
    allCells: 'Show every cell (coloured by distance to the nearest station)',
    requestsLayer: 'Show station requests',
    requestsCount: (n, more) =>
      more ? `The first ${n} station requests are shown` : `${n} station requests in the area`,
    requestsFailed: 'Station requests are unavailable right now.',
    analyseView: 'Analyse this view',
    analyseHint: 'Panning or zooming does not analyse again by itself.',
    outOfRange: (min, max) =>
      `Enter a number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}.`,
    suggestTitle: 'Suggested sites',
    suggestIntro:
      'Keeping the existing stations, each new site is the one that covers the most demand still uncovered.',
    suggestCount: 'How many',
    suggest: (k) => `Suggest ${k} ${k === 1 ? 'site' : 'sites'}`,
    suggesting: 'Computing…',
    noSuggestions: 'No site would cover any more demand.',
    ratioRise: (from, to) => `Coverage ${from} → ${to}`,
    suggestListHint:
      'Each row: the demand the site adds, and the coverage with it and those above.',
    addedDemand: (n) => `+${n} demand`,
    sources: { cell: 'cell centre', station_request: 'station request' },
    siteLabel: (rank) => `Suggested site ${rank}`,
    whatIfTitle: 'What if we built here?',
    whatIfIntro:
      'Click the map to place hypothetical stations and see how coverage in the analysed area ' +
      'changes. Click one to remove it.',
    whatIfStart: 'Place on the map',
    whatIfStop: 'Done placing',
    whatIfClear: 'Clear all',
    whatIfPick: 'Click the map to place a hypothetical station (Esc to stop).',
    whatIfEmpty: 'No hypothetical stations yet.',
    whatIfSites: (n) => `${n} hypothetical ${n === 1 ? 'station' : 'stations'}`,
    computing: 'Computing…',
    whatIfAdded: (n) => `${n} more demand covered`,
    removeSite: 'Remove this hypothetical station',
    exportTitle: 'Export',
    exportHint: 'CSV opens in Excel; GeoJSON loads into GIS software.',
    exportGaps: 'Gap cells',
    exportSuggestions: 'Suggested sites',
    citiesTitle: 'Coverage by city (whole province)',
    citiesIntro:
      'All demand in the province, with the reach and requirement above, not only the analysed area.',
    city: 'City',
    stations: 'Stations',
    demand: 'Demand',
    noCity: 'Unassigned',
    allCities: 'Province',
    cellTitle: (gap) => (gap ? 'Gap cell' : 'Cell'),
    cellDemand: (n, covered) => `Demand ${n}, ${covered} covered`,
    cellStations: (n) => `${n} ${n === 1 ? 'station' : 'stations'} within reach`,
    cellNearest: (d) => `Nearest station ${d} away`,
    cellNoStation: 'No station nearby',
    cellRequests: (n) => `${n} station ${n === 1 ? 'request' : 'requests'}`,
    legendDemand: 'Demand in gap cells',
    legendDistance: 'Distance to the nearest station',
    legendUpTo: (d) => `≤ ${d}`,
    legendBeyond: (d) => `> ${d}`,
    legendAll: 'all',
    legendNoCells: 'No gap cells',
    legendStations: 'Stations',
    legendSite: 'Suggested site',
    legendWhatIf: 'Hypothetical station',
    legendArea: 'Analysed area',
    legendRequest: 'Station request',
    csv: {
      gaps: [
        'cell_id',
        'centre_lon',
        'centre_lat',
        'demand',
        'covered_demand',
        'uncovered_demand',
        'station_requests',
        'stations_within_reach',
        'nearest_station_id',
        'nearest_distance_m',
      ],
      suggestions: [
        'rank',
        'lon',
        'lat',
        'source',
        'added_demand',
        'newly_covered_demand',
        'covered_demand',
        'coverage_ratio',
      ],
    },
  },
}

const messages: Record<Lang, Messages> = { zh, en }
const STORAGE_KEY = 'yizhan.lang'

function storedLang(): Lang | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY)
    return value === 'zh' || value === 'en' ? value : null
  } catch {
    // storage can be blocked (private mode, sandboxed frames): fall back to the browser language
    return null
  }
}

function browserLang(): Lang {
  const preferred = navigator.languages.length > 0 ? navigator.languages : [navigator.language]
  return preferred[0]?.toLowerCase().startsWith('zh') ? 'zh' : 'en'
}

let current: Lang = storedLang() ?? browserLang()
const listeners = new Set<() => void>()

export function lang(): Lang {
  return current
}

export function locale(): string {
  return current === 'zh' ? 'zh-CN' : 'en'
}

export function t(): Messages {
  return messages[current]
}

export function setLang(next: Lang): void {
  if (next === current) return
  current = next
  try {
    localStorage.setItem(STORAGE_KEY, next)
  } catch {
    // not remembered across visits, but the switch still applies now
  }
  applyDocumentLang()
  for (const listener of listeners) listener()
}

/** Calls `render` now and again after every language switch. */
export function onLangChange(render: () => void): void {
  listeners.add(render)
  render()
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
]

/** "5 minutes ago" / "5分钟前", for report times. A clock a little ahead of ours is "just now". */
export function timeAgo(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000)
  if (seconds > -60) return t().justNow
  const format = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' })
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit)
  }
  return t().justNow
}

/** A report time in full, for tooltips and history rows. */
export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString(locale(), {
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  })
}

const DAYS = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su']

/** OSM opening hours with the day names in the reader's language ("Mo-Fr 08:00-20:00"). */
export function openingHours(value: string): string {
  if (value.trim() === '24/7') return t().allDay
  const named = value.replace(/\b(Mo|Tu|We|Th|Fr|Sa|Su|PH|off)\b/g, (token) => {
    if (token === 'PH') return t().holidays
    if (token === 'off') return t().dayOff
    return t().weekdays[DAYS.indexOf(token)] ?? token
  })
  // "周一至周五" reads better than "周一-周五"
  return current === 'zh' ? named.replace(/(周.)-(周.)/g, '$1至$2') : named
}

export function applyDocumentLang(): void {
  document.documentElement.lang = locale()
  document.title = `${t().appName} · ${t().tagline}`
}
