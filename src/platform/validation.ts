import { z } from '@hono/zod-openapi';

/** Field rules shared by several routes. */

export const nameField = (max = 200) => z.string().trim().min(1, 'must not be empty').max(max);
export const descriptionField = z.string().max(2000);
export const emailField = z.email('must be a valid email address').max(320);
/** Passwords: 8–256 characters. */
export const passwordField = z.string().min(8, 'must be at least 8 characters').max(256);
export const futureDateField = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });
