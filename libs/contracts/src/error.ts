import { ErrorCode } from '#ferry/errors';

export const errorDetailSchema = {
  type: 'object',
  required: ['path', 'problem'],
  properties: {
    path: { type: 'string', description: 'Where in the request, e.g. files[0].name' },
    problem: { type: 'string' },
  },
} as const;

/** Every 4xx/5xx body (docs/contract.md, "Errors"). */
export const errorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { enum: Object.values(ErrorCode) },
        message: { type: 'string' },
        details: { type: 'array', items: errorDetailSchema },
      },
    },
  },
} as const;
