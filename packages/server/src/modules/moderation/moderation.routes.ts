import {
  AuditQuery, type AuditQuery as AuditQueryT, AuditResponse, CreateReportBody, type CreateReportBody as CreateReportBodyT, Id, IdParams, type IdParams as IdParamsT,
  ReportResponse, ReportsQuery, type ReportsQuery as ReportsQueryT, ReportsResponse, ResolveReportBody, type ResolveReportBody as ResolveReportBodyT,
} from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { ModerationService } from './moderation.service.ts';

export function registerModerationRoutes(app: FastifyInstance, deps: { moderation: ModerationService; requireUser: PreHandler }): void {
  const { moderation, requireUser } = deps;
  const common = { tags: ['moderation'], security: userSecurity };

  app.post<{ Body: CreateReportBodyT }>('/v1/reports', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Report a message, a user or a conversation to its moderators and the platform', body: CreateReportBody, response: { 200: ReportResponse, ...errorResponses } },
  }, async (request) => ({ report: await moderation.report(actorOf(request), request.body) }));

  app.get<{ Params: IdParamsT; Querystring: ReportsQueryT }>('/v1/conversations/:id/reports', {
    onRequest: requireUser,
    schema: { ...common, summary: 'The conversation\'s moderation queue, newest first (moderators)', params: IdParams, querystring: ReportsQuery, response: { 200: ReportsResponse, ...errorResponses } },
  }, async (request) => {
    const result = await moderation.conversationReports(actorOf(request), request.params.id, request.query.status, request.query.cursor, request.query.limit ?? 50);
    return { reports: result.items, nextCursor: result.nextCursor };
  });

  app.post<{ Params: { id: string; reportId: string }; Body: ResolveReportBodyT }>('/v1/conversations/:id/reports/:reportId/resolve', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Resolve a report of this conversation, recording the action taken (moderators)', params: Type.Object({ id: Id, reportId: Id }), body: ResolveReportBody, response: { 200: ReportResponse, ...errorResponses } },
  }, async (request) => ({ report: await moderation.resolveInConversation(actorOf(request), request.params.id, request.params.reportId, request.body) }));

  app.get<{ Params: IdParamsT; Querystring: AuditQueryT }>('/v1/conversations/:id/audit', {
    onRequest: requireUser,
    schema: { ...common, summary: 'The conversation\'s audit log, newest first (view_audit_log)', params: IdParams, querystring: AuditQuery, response: { 200: AuditResponse, ...errorResponses } },
  }, async (request) => {
    const result = await moderation.conversationAudit(actorOf(request), request.params.id, request.query.cursor, request.query.limit ?? 50);
    return { entries: result.items, nextCursor: result.nextCursor };
  });
}
