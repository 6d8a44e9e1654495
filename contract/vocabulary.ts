export const AMENITIES = [
  'rest_seating',
  'drinking_water',
  'hot_water',
  'heating',
  'air_conditioning',
  'rain_shelter',
  'phone_charging',
  'ebike_charging',
  'battery_swap',
  'microwave',
  'fridge',
  'toilet',
  'first_aid',
  'sanitary_products',
  'wifi',
] as const
export type Amenity = (typeof AMENITIES)[number]

/** The Chinese names of the amenities: the app shows them, spreadsheets may use them. */
export const AMENITY_LABELS_ZH = {
  rest_seating: '休息座椅',
  drinking_water: '饮用水',
  hot_water: '热水',
  heating: '取暖',
  air_conditioning: '空调',
  rain_shelter: '避雨',
  phone_charging: '手机充电',
  ebike_charging: '电动车充电',
  battery_swap: '换电',
  microwave: '微波炉',
  fridge: '冰箱',
  toilet: '卫生间',
  first_aid: '急救药箱',
  sanitary_products: '卫生用品',
  wifi: '无线网络',
} satisfies Record<Amenity, string>

export const SUPPLIES = [
  'drinking_water',
  'first_aid',
  'heatstroke_medicine',
  'sanitary_products',
  'hand_warmers',
  'umbrellas',
] as const
export type Supply = (typeof SUPPLIES)[number]

export const STATION_STATES = ['active', 'temporarily_closed', 'retired'] as const
export type StationState = (typeof STATION_STATES)[number]

export const ROLES = ['admin', 'planner', 'manager'] as const
export type Role = (typeof ROLES)[number]

export const AVAILABILITIES = ['open', 'full', 'closed', 'temporarily_closed', 'unknown'] as const
export type Availability = (typeof AVAILABILITIES)[number]

export const DEFAULT_LOW_THRESHOLD = 20

/** What an API token may do; a token never gets a scope its user's role lacks. */
export const SCOPES = ['read', 'report', 'plan', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/** A signed-in browser session may do everything its role's scopes allow. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  admin: SCOPES,
  planner: ['read', 'plan'],
  manager: ['read', 'report'],
}
