/**
 * vitest: unit tests of the extension's pure logic (test/*.test.ts), run in
 * Node without a DOM. `jlpm build` compiles only src/, never these.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node'
  }
});
