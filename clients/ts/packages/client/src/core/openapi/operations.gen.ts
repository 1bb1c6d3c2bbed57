/* Generated from reelq's /openapi.json by `npm run gen:types`; do not edit. A test fails when it drifts. */
import type { AdminOperations } from "./operations/admin.gen.js";
import type { AdminUsersOperations } from "./operations/admin-users.gen.js";
import type { JobsOperations } from "./operations/jobs.gen.js";
import type { NotificationsOperations } from "./operations/notifications.gen.js";
import type { ServiceOperations } from "./operations/service.gen.js";
import type { UploadsOperations } from "./operations/uploads.gen.js";
import type { UploadsTusOperations } from "./operations/uploads-tus.gen.js";
import type { UploadsTusUploadOperations } from "./operations/uploads-tus-upload.gen.js";
export interface operations
  extends AdminOperations,
    AdminUsersOperations,
    JobsOperations,
    NotificationsOperations,
    ServiceOperations,
    UploadsOperations,
    UploadsTusOperations,
    UploadsTusUploadOperations {}
