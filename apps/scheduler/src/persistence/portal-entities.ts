import { Column, Entity, PrimaryColumn } from 'typeorm';
import { COLUMN_OPTIONS } from './described-entity.js';

// The operators' portal's tables (migration 1769500000000-portal-accounts.ts).
const ms = COLUMN_OPTIONS.ms;
const json = COLUMN_OPTIONS.json;

@Entity('operator_user')
export class OperatorUserEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 }) username: string;
  @Column({ type: 'varchar', length: 12 }) role: string;
  /** argon2id; never leaves the scheduler. */
  @Column({ name: 'password_hash', type: 'varchar', length: 200 }) passwordHash: string;
  @Column({ type: 'integer' }) disabled: number;
  @Column({ name: 'created_at', ...ms }) createdAt: number;
  @Column({ name: 'updated_at', ...ms }) updatedAt: number;
}

@Entity('operator_session')
export class OperatorSessionEntity {
  /** SHA-256 of the cookie's value (hex). */
  @PrimaryColumn({ type: 'varchar', length: 64 }) id: string;
  @Column({ type: 'varchar', length: 100 }) username: string;
  @Column({ name: 'csrf_token', type: 'varchar', length: 64 }) csrfToken: string;
  @Column({ name: 'created_at', ...ms }) createdAt: number;
  @Column({ name: 'last_seen_at', ...ms }) lastSeenAt: number;
  @Column({ name: 'expires_at', ...ms }) expiresAt: number;
}

@Entity('audit_event')
export class AuditEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ ...ms }) at: number;
  /** The principal's subject: `user:<username>` for a portal session, the token's subject otherwise. */
  @Column({ type: 'varchar', length: 200 }) actor: string;
  @Column({ name: 'client_id', type: 'varchar', length: 100 }) clientId: string;
  @Column({ type: 'varchar', length: 60 }) action: string;
  @Column({ name: 'object_type', type: 'varchar', length: 40 }) objectType: string;
  @Column({ name: 'object_id', type: 'varchar', length: 200, nullable: true }) objectId: string | null;
  @Column({ name: 'before_state', ...json, nullable: true }) before: unknown;
  @Column({ name: 'after_state', ...json, nullable: true }) after: unknown;
  @Column({ ...json, nullable: true }) detail: unknown;
}
