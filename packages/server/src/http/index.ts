export { actorOf, adminSecurity, bearerToken, createHttpServer, errorResponses, userSecurity } from './http-server.ts';
