import { z } from 'zod'
import { latitude, longitude } from '../http/params.ts'

export const bbox = z
  .tuple([longitude, latitude, longitude, latitude])
  .refine(([w, s, e, n]) => w < e && s < n, { message: 'bbox needs west < east and south < north' })

export const subscribeArgs = z.strictObject({ bbox })
export const unsubscribeArgs = z.strictObject({ bbox: bbox.optional() })

/** All of one client's subscriptions together, in rooms. */
export const MAX_ROOMS_PER_SOCKET = 200
