import { z } from 'zod'
import { bbox } from '../http/params.ts'

export const subscribeArgs = z.strictObject({ bbox })
export const unsubscribeArgs = z.strictObject({ bbox: bbox.optional() })

/** All of one client's subscriptions together, in rooms. */
export const MAX_ROOMS_PER_SOCKET = 200
