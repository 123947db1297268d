import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
