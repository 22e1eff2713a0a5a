/** `import text from './x.json?raw'`: the file's text (Vite's ?raw import), parsed by the importer when needed. */
declare module '*.json?raw' {
  const text: string;
  export default text;
}
