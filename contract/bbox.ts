/** An area in WGS-84 degrees, west < east and south < north (China never crosses 180°). */
export type Bbox = [west: number, south: number, east: number, north: number]
