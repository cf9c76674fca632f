import type { EndpointSpec } from '../endpoint.ts';
import { AuthResponse, EmptyResponse, LoginBody, RefreshBody, RegisterBody } from '../http.ts';

export const authEndpoints = {
  register: {
    method: 'POST',
    path: '/v1/auth/register',
    access: 'public',
    tag: 'auth',
    summary: 'Create a built-in account and sign in',
    body: RegisterBody,
    response: AuthResponse,
    errors: ['forbidden', 'handle_taken'],
    rateLimit: 'register',
  },
  login: {
    method: 'POST',
    path: '/v1/auth/login',
    access: 'public',
    tag: 'auth',
    summary: 'Sign in with handle and password (starts a device session)',
    body: LoginBody,
    response: AuthResponse,
    errors: ['invalid_credentials', 'account_suspended'],
    rateLimit: 'login',
  },
  refresh: {
    method: 'POST',
    path: '/v1/auth/refresh',
    access: 'public',
    tag: 'auth',
    summary: 'Exchange a refresh token for a new token pair (the refresh token rotates)',
    body: RefreshBody,
    response: AuthResponse,
    errors: ['unauthorized', 'account_suspended'],
  },
  logout: {
    method: 'POST',
    path: '/v1/auth/logout',
    access: 'user',
    tag: 'auth',
    summary: 'End this device session: its refresh token stops working',
    response: EmptyResponse,
    errors: [],
  },
} as const satisfies Record<string, EndpointSpec>;
