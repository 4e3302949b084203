// The ESM loader hook that lets instrumentations patch modules loaded with `import` (pino, node:http).
// It is registered only for the modules an enabled instrumentation patches, and in-thread
// (module.registerHooks) where Node supports it: the older module.register() runs the loader on a second
// thread, a whole extra V8 isolate, and pays a round trip to it for every module the process imports.

/** Registers the hook for `modules`; the returned function resolves once the hook is live. */
export async function hookModules(modules: string[]): Promise<() => Promise<void>> {
  if (modules.length === 0) return async () => {};
  const { register, supportsSyncHooks } = await import('import-in-the-middle/register-hooks.mjs');
  if (supportsSyncHooks()) {
    register({ include: modules });
    return async () => {};
  }
  const [{ register: registerLoader }, { createAddHookMessageChannel }] = await Promise.all([
    import('node:module'),
    import('import-in-the-middle'),
  ]);
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  registerLoader('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions);
  return waitForAllMessagesAcknowledged;
}
