export { createDevicesService, type DevicesService } from './devices.service.ts';
export { registerDeviceRoutes } from './devices.routes.ts';
