import { AppError } from '../../errors'

/** A file that cannot become text however often it is retried: the message is shown to the customer. */
export const unreadable = (message: string, cause?: unknown) => new AppError('UNPROCESSABLE_ENTITY', message, { cause })

export const isUnreadable = (error: unknown): error is AppError =>
  error instanceof AppError && error.code === 'UNPROCESSABLE_ENTITY'
