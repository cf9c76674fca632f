import type { EndpointSpec } from '../endpoint.ts';
import { AuditQuery, AuditResponse, ConversationReportParams, CreateReportBody, IdParams, ReportResponse, ReportsQuery, ReportsResponse, ResolveReportBody } from '../http.ts';

export const moderationEndpoints = {
  createReport: {
    method: 'POST',
    path: '/v1/reports',
    access: 'user',
    tag: 'moderation',
    summary: 'Report a message, a user or a conversation to its moderators and the platform',
    body: CreateReportBody,
    response: ReportResponse,
    errors: ['not_found', 'forbidden'],
    rateLimit: 'report',
  },
  listReports: {
    method: 'GET',
    path: '/v1/conversations/:id/reports',
    access: 'user',
    tag: 'moderation',
    summary: 'The conversation\'s moderation queue, newest first (moderators)',
    params: IdParams,
    query: ReportsQuery,
    response: ReportsResponse,
    errors: ['not_found', 'forbidden'],
  },
  resolveReport: {
    method: 'POST',
    path: '/v1/conversations/:id/reports/:reportId/resolve',
    access: 'user',
    tag: 'moderation',
    summary: 'Resolve a report of this conversation, recording the action taken (moderators)',
    params: ConversationReportParams,
    body: ResolveReportBody,
    response: ReportResponse,
    errors: ['not_found', 'forbidden', 'conflict'],
  },
  listAudit: {
    method: 'GET',
    path: '/v1/conversations/:id/audit',
    access: 'user',
    tag: 'moderation',
    summary: 'The conversation\'s audit log, newest first (view_audit_log)',
    params: IdParams,
    query: AuditQuery,
    response: AuditResponse,
    errors: ['not_found', 'forbidden'],
  },
} as const satisfies Record<string, EndpointSpec>;
