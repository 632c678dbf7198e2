// jsdom lacks a few browser APIs the components use; minimal stand-ins keep tests about behaviour.
class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= ResizeObserverStub as unknown as typeof ResizeObserver;
