import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditLog } from './audit-log.js';

/**
 * The audit log (docs/security.md, "Audit log"): global, so that every module with an admin change
 * injects `AuditLog` and calls `record(em, entry)` in the change's transaction.
 */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditLog],
  exports: [AuditLog],
})
export class AuditModule {}
