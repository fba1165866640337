export { SERVICE_TREE } from './tree.js';
export type { ServiceClass } from './tree.js';
export { provideServices, provideComponentServices, injectService } from './provide-services.js';
export { serviceState, serviceState$ } from './service-state.js';
export type { ServiceStateOptions } from './service-state.js';
