import { runEventBusConformance } from './conformance.js';
import { InProcessEventBus } from './in-process-event-bus.js';

runEventBusConformance('in-process', {
  create: ({ onError }) => Promise.resolve(new InProcessEventBus({ onError })),
  replicas: false,
});
