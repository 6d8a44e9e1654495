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
