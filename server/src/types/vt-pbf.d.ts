declare module 'vt-pbf' {
  interface GeojsonVtFeature {
    id?: number
    type: 1 | 2 | 3
    geometry: number[][] | number[][][]
    tags: Record<string, string | number | boolean>
  }
  export function fromGeojsonVt(
    layers: Record<string, { features: GeojsonVtFeature[] }>,
    options?: { version?: number; extent?: number },
  ): Uint8Array
  const vtpbf: { fromGeojsonVt: typeof fromGeojsonVt }
  export default vtpbf
}
