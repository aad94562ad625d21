// Test-only bindings added in vitest.config.ts
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    HIO_SECRET: string;
    HIO_ADMIN_TOKEN: string;
  }
}
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import('../index.ts');
  }
}
