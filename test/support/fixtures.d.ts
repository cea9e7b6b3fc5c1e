declare module '*?inline' {
  /** A `data:` URL of the file's bytes (Vite's `?inline`). */
  const dataUrl: string
  export default dataUrl
}
