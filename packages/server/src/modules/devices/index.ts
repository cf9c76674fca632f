export { createDevicesService, type DevicesService } from './devices.service.ts';
export { deviceRoutes } from './devices.routes.ts';
