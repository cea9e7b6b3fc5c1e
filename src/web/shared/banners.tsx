import type { Child, FC } from 'hono/jsx'
import type { DashboardPlan } from '../../customers/dashboard'

const day = 86_400_000
const formatDate = (d: Date) => d.toISOString().slice(0, 10)

/** Trial, grace-period and no-plan banners (dashboard and billing pages). */
export const PlanBanners: FC<{ plan: DashboardPlan | null; gracePeriodEndsAt: Date | null; now?: Date }> = ({
  plan,
  gracePeriodEndsAt,
  now = new Date(),
}) => {
  const banners: Child[] = []
  if (gracePeriodEndsAt && gracePeriodEndsAt > now) {
    banners.push(
      <div class="notice bad" role="status">
        <p>
          <strong>Grace period:</strong> your agents keep answering until {formatDate(gracePeriodEndsAt)}. Update your
          payment or plan before then to avoid interruption. <a href="/billing">Go to billing</a>
        </p>
      </div>,
    )
  }
  if (!plan || !['active', 'trialing'].includes(plan.status)) {
    banners.push(
      <div class="notice warn" role="status">
        <p>
          You have no active plan, so your agents cannot answer. <a href="/billing">Choose a plan</a>
        </p>
      </div>,
    )
  } else if (plan.status === 'trialing' && plan.trialEndsAt) {
    const daysLeft = Math.max(0, Math.ceil((plan.trialEndsAt.getTime() - now.getTime()) / day))
    banners.push(
      <div class="notice info" role="status">
        <p>
          <strong>Free trial:</strong> {daysLeft} {daysLeft === 1 ? 'day' : 'days'} left (ends{' '}
          {formatDate(plan.trialEndsAt)}). <a href="/billing">Pick a plan</a> to keep your agents running.
        </p>
      </div>,
    )
  }
  return <>{banners}</>
}
