/** The virtual module build.mjs generates: imports every test/vscode/suite/**\/*.test.ts. */
declare module 'mailops:suites' {
  /** The suite files, relative to the repository root. */
  export const files: string[];
}
