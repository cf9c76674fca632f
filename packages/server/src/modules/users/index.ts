export { createUsersService, type Identity, type PictureFiles, type UsersService } from './users.service.ts';
export { findUserByHandle, findUserById, findUsersByIds } from './users.repository.ts';
export { toUser, DELETED_DISPLAY_NAME } from './users.mapper.ts';
export { userRoutes } from './users.routes.ts';
export { createProfileNotices } from './profile-notices.ts';
