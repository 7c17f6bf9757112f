import { SetMetadata } from '@nestjs/common';

export const IS_ADMIN_ONLY = 'maskgen:admin-only';

/** Routes that only the admin key (ADMIN_API_KEY) may call. */
export const AdminOnly = () => SetMetadata(IS_ADMIN_ONLY, true);
