/** The toolkit's version (kept equal to toolkit/package.json by a test). */
export const version = '0.1.0';
