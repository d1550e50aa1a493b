/// The Lua script that records one event in its account's state and
/// evaluates the rules, atomically.
///
/// Why Lua: any replica may get any account's next event, so the state lives
/// in Redis and "read state, decide, write state" must be one step, or two
/// replicas would each count without seeing the other. A script runs alone
/// on the server, which gives exactly that.
///
/// Why it is idempotent: every event is stored as a sorted-set member that
/// starts with its event id (score = `occurred_at` in microseconds), so a
/// redelivered event re-adds the same member (no change) and re-evaluates to
/// the same alerts, whose ids (`<event-id>:<rule>`) PostgreSQL dedupes.
///
/// Why it is order-independent: every verdict is a function of the events
/// stored around the judged event's own time, never of arrival order. After
/// storing an event the script re-judges every payment from the event's time
/// up to the re-evaluation horizon, so an event that arrives late (another
/// replica was slower) still completes the windows it belongs to.
///
/// Why it reads little: each `redis.call` costs Redis CPU on its one thread,
/// on every event. A judged payment's rules share one range read (every
/// window ends at its time and none reaches further back than the longest),
/// an event that arrives in order (nothing stored at or after its time) skips
/// the re-judge scans, and the keys' expiry is set again only when a key was
/// created or the last refresh is older than 1 % of the TTL: every key of an
/// account then lives between 99 % and 100 % of the TTL after its last event
/// (all are refreshed together, so the payments key's TTL tells for all).
///
/// Why it is cheap per call (Redis 7.0 with Lua 5.1, measured with
/// callgrind on a replay of the bench's events, every verdict compared):
/// the thresholds are literals in the script text, not arguments (each
/// argument is parsed, copied into `ARGV` and converted on every call); a
/// score is read only where a time is needed (Redis prints each score with
/// `%.17g` and the script parses it back: the status and top-up reads take
/// members only, a large top-up's time is one `ZSCORE`); numbers are printed
/// with `%d` rather than `%.0f` (half the cost) and the event's own time is
/// used as the client wrote it; an in-order payment is judged from its own
/// fields rather than its member parsed back; and closures only a rarer path
/// needs are not built on every call (each costs its creation and garbage).
///
/// Keys (one hash tag for all of them, so the script works on Redis Cluster
/// too: the account's own, `payflow:af:{acc-1}:p`, or with `EVENT_SHARDS`
/// its shard's, `payflow:af:{0.1}:acc-1:p`; see ``AccountStateStore``):
/// 1. `p`  payments, member `id|amount|country|continent|merchant`
/// 2. `pa` payment amounts by id (hash), for refunds
/// 3. `t`  top-ups, member `id|amount`
/// 4. `st` account status changes, member `id|b` (blocked) or `id|u`
/// 5. `rf` refunds, member `id|payment-id|amount`
///
/// Two verdicts are *provisional*: a payment on a blocked account, and a
/// refund of a payment the account never made. Unlike the others, a late event
/// can overturn them (the `account_unblocked` before the payment, the payment
/// the refund is for, each still in another replica's hands). The script
/// reports them as provisional, with what is needed to judge them again
/// (`recheck_blocked`, `recheck_refund` modes, which change no state), and
/// ``ProvisionalVerdictSettler`` re-judges them once the group has processed
/// every entry before the one that raised them.
///
/// Returns verdicts as a flat array of 6-tuples: event id, rule, reason,
/// `final` or `provisional`, the judged event's time (µs), and for a
/// provisional refund `payment-id|amount` (else empty).
enum AccountStateScript {
    /// `tag` nil: the account's own hash tag (one Redis, one shard).
    static func keys(prefix: String, tag: String?, account: String) -> [String] {
        let base = tag.map { "\(prefix):{\($0)}:\(account):" } ?? "\(prefix):{\(account)}:"
        return ["p", "pa", "t", "st", "rf"].map { base + $0 }
    }

    /// The script for a configuration: ``body`` with each threshold's
    /// placeholder replaced by its value.
    ///
    /// Why literals: every argument of every call is parsed by Redis, copied
    /// into the script's `ARGV` table and converted with `tonumber`, and every
    /// local a function uses is an upvalue to bind each time the function is
    /// created; the 21 thresholds as arguments cost about a tenth of the
    /// script's Redis instructions per call. Another configuration is another
    /// script text, so another digest: replicas with different thresholds
    /// never run each other's.
    static func source(_ configuration: AntiFraudConfiguration) -> String {
        var source = Self.body
        // Longest first, so that no placeholder is replaced inside a longer one.
        for (placeholder, value) in Self.constants(configuration).sorted(by: { $0.placeholder.count > $1.placeholder.count }) {
            source = source.replacingOccurrences(of: placeholder, with: String(value))
        }
        return source
    }

    /// Placeholder (`$` and a name: in Lua a `$` only ends a pattern) and value
    /// of every threshold ``body`` uses.
    static func constants(_ configuration: AntiFraudConfiguration) -> [(placeholder: String, value: Int64)] {
        let c = configuration
        // The payments a judged payment's rules look at: every window ends at its time and
        // none reaches further back than the longest, so one range read serves them all.
        let reach = max(
            c.velocityWindowMicroseconds, c.cardTestingWindowMicroseconds, c.travelSameContinentMicroseconds,
            c.travelIntercontinentalMicroseconds, c.topupDrainWindowMicroseconds
        )
        return [
            ("$stateTTL", Int64(c.stateTTLSeconds)),
            ("$keepPayments", Int64(c.rememberedPayments)),
            ("$horizon", c.reevaluationHorizonMicroseconds),
            ("$reach", reach),
            ("$velocityWindow", c.velocityWindowMicroseconds),
            ("$velocityMax", Int64(c.velocityMaxPayments)),
            ("$cardWindow", c.cardTestingWindowMicroseconds),
            ("$cardSmall", c.cardTestingSmallAmount),
            ("$cardMinPayments", Int64(c.cardTestingMinPayments)),
            ("$cardMinMerchants", Int64(c.cardTestingMinMerchants)),
            ("$spikeAbsolute", c.amountSpikeAbsolute),
            ("$spikeMultiple", Int64(c.amountSpikeMultiple)),
            ("$spikeMinHistory", Int64(c.amountSpikeMinHistory)),
            ("$spikeHistory", Int64(c.amountSpikeHistory)),
            ("$spikeMinAmount", c.amountSpikeMinAmount),
            ("$travelNear", c.travelSameContinentMicroseconds),
            ("$travelFar", c.travelIntercontinentalMicroseconds),
            ("$drainWindow", c.topupDrainWindowMicroseconds),
            ("$drainPercent", Int64(c.topupDrainPercent)),
            ("$drainMinTopup", c.topupDrainMinTopup),
            ("$blockedGrace", c.blockedGraceMicroseconds),
            ("$refundUnknownMin", c.refundUnknownPaymentMinAmount),
        ]
    }

    /// The script with its thresholds as placeholders (see ``source(_:)``).
    /// ARGV: kind, event id, time (µs), amount, country, continent, merchant,
    /// original payment id.
    static let body = #"""
    local P, PA, T, ST, RF = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
    local kind, id, now, amount = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
    local country, continent, merchant, original = ARGV[5], ARGV[6], ARGV[7], ARGV[8]

    -- Scores and amounts are whole numbers below 2^53: print them whole, never as 1.7e+15
    -- ('%d' prints an integral value as '%.0f' does, at half its cost).
    local function fmt(x)
      if x == math.floor(x) and x > -9007199254740992 and x < 9007199254740992 then return string.format('%d', x) end
      return string.format('%.0f', x)
    end
    -- The event's time as the client wrote it (a whole number): a score or a range bound as is.
    local nowText = ARGV[3]

    local function split(s, n)
      local out, start = {}, 1
      for _ = 1, n - 1 do
        local pos = string.find(s, '|', start, true)
        if not pos then break end
        out[#out + 1] = string.sub(s, start, pos - 1)
        start = pos + 1
      end
      out[#out + 1] = string.sub(s, start)
      return out
    end

    local rechecking = kind == 'recheck_blocked' or kind == 'recheck_refund'
    local alerts, seen = {}, nil
    local function verdict(eventId, rule, reason, status, time, extra)
      local key = eventId .. ':' .. rule
      seen = seen or {}
      if seen[key] then return end
      seen[key] = true
      alerts[#alerts + 1] = eventId
      alerts[#alerts + 1] = rule
      alerts[#alerts + 1] = reason
      alerts[#alerts + 1] = status
      alerts[#alerts + 1] = string.format('%.0f', time)
      alerts[#alerts + 1] = extra
    end
    local function alert(eventId, rule, reason) verdict(eventId, rule, reason, 'final', 0, '') end
    -- A verdict a late event could overturn is final only when re-judged.
    local unlessRechecked = rechecking and 'final' or 'provisional'

    -- activity on a blocked account: the latest status change at or before it,
    -- at least the grace period before it (payments in flight when the block landed pass).
    -- Without a grace only the member is needed: a score costs Redis a float print and parse.
    local function judgeBlocked(p, timeText)
      local status
      if $blockedGrace > 0 then
        status = redis.call('ZREVRANGEBYSCORE', ST, timeText, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
        if #status ~= 2 or p.time - tonumber(status[2]) < $blockedGrace then return end
      else
        status = redis.call('ZREVRANGEBYSCORE', ST, timeText, '-inf', 'LIMIT', 0, 1)
        if #status ~= 1 then return end
      end
      if string.sub(status[1], -2) == '|b' then
        verdict(p.id, 'blocked_account_activity', 'payment while the account is blocked (' .. split(status[1], 2)[1] .. ')', unlessRechecked, p.time, '')
      end
    end

    -- amount, country, continent, merchant of a stored payment member (what split(m, 5) gives).
    local function fields(member)
      local amountText, country, continent, merchant = string.match(member, '^[^|]*|([^|]*)|([^|]*)|([^|]*)|(.*)$')
      if amountText then return tonumber(amountText), country, continent, merchant end
      local f = split(member, 5)
      return tonumber(f[2]), f[3], f[4], f[5]
    end

    -- Every rule that judges a payment, from the events stored around its time.
    -- `raw` is ZRANGEBYSCORE P [time - reach, time] WITHSCORES when the caller has it
    -- (members, then scores, ascending); it may run on past the time (ignored).
    local function judge(p, raw)
      local t = p.time
      local timeText = fmt(t)
      if not raw then raw = redis.call('ZRANGEBYSCORE', P, fmt(t - $reach), timeText, 'WITHSCORES') end
      -- `last`: the last entry at or before t; entries 1..last are the window [t - reach, t].
      local last = #raw / 2
      local times = {}
      for i = 1, last do times[i] = tonumber(raw[2 * i]) end
      while last > 0 and times[last] > t do last = last - 1 end
      -- velocity: the payments in [t - window, t]
      local count, low = 0, t - $velocityWindow
      for i = last, 1, -1 do
        if times[i] < low then break end
        count = count + 1
      end
      if count > $velocityMax then
        alert(p.id, 'velocity', string.format('%d payments within %d s (limit %d)', count, $velocityWindow / 1000000, $velocityMax))
      end
      -- card testing
      if p.amount < $cardSmall then
        local small, merchants, distinct = 0, {}, 0
        low = t - $cardWindow
        for i = 1, last do
          if times[i] >= low then
            local a, _, _, merchant = fields(raw[2 * i - 1])
            if a < $cardSmall then
              small = small + 1
              if not merchants[merchant] then merchants[merchant] = true; distinct = distinct + 1 end
            end
          end
        end
        if small >= $cardMinPayments and distinct >= $cardMinMerchants then
          alert(p.id, 'card_testing', string.format('%d payments below %d at %d merchants within %d s', small, $cardSmall, distinct, $cardWindow / 1000000))
        end
      end
      -- amount spike: the absolute limit, then the account's own history before it
      if p.amount >= $spikeAbsolute then
        alert(p.id, 'amount_spike', string.format('amount %s is at or above the limit %s', fmt(p.amount), fmt($spikeAbsolute)))
      elseif p.amount >= $spikeMinAmount then
        local history = redis.call('ZREVRANGEBYSCORE', P, '(' .. timeText, '-inf', 'LIMIT', 0, $spikeHistory)
        if #history >= $spikeMinHistory then
          local sum = 0
          for _, m in ipairs(history) do sum = sum + fields(m) end
          local mean = sum / #history
          if p.amount >= $spikeMultiple * mean then
            alert(p.id, 'amount_spike', string.format('amount %s is %.1fx the mean %.0f of the last %d payments', fmt(p.amount), p.amount / mean, mean, #history))
          end
        end
      end
      -- impossible travel: any earlier payment from another country, closer in time
      -- than the travel between the two needs. Only the later payment is alerted:
      -- which payment came "just before" depends on what has arrived, this does not.
      low = t - math.max($travelNear, $travelFar)
      for i = last, 1, -1 do
        local qTime = times[i]
        if qTime < low then break end
        if qTime < t then
          local _, qCountry, qContinent = fields(raw[2 * i - 1])
          if qCountry ~= p.country then
            local far = qContinent ~= p.continent and qContinent ~= '?' and p.continent ~= '?'
            local needed = far and $travelFar or $travelNear
            local gap = t - qTime
            if gap < needed then
              alert(p.id, 'impossible_travel', string.format('%s then %s within %d s (at least %d s needed)', qCountry, p.country, gap / 1000000, needed / 1000000))
              break
            end
          end
        end
      end
      judgeBlocked(p, timeText)
      -- top-up drain: any large top-up in the window before it, mostly spent since.
      -- Members carry the amount; the time (a score: a float print and parse) is read
      -- only for a top-up large enough to count, which clean traffic never has.
      local topups = redis.call('ZRANGEBYSCORE', T, fmt(t - $drainWindow), timeText)
      for i = 1, #topups do
        local f = split(topups[i], 2)
        local topup = tonumber(f[2])
        if topup >= $drainMinTopup then
          local since, spent = tonumber(redis.call('ZSCORE', T, topups[i])), 0
          for j = 1, last do
            if times[j] >= since then spent = spent + fields(raw[2 * j - 1]) end
          end
          if spent * 100 >= $drainPercent * topup then
            alert(p.id, 'topup_drain', string.format('%s of the top-up %s (%s) spent within %d s', fmt(spent), fmt(topup), f[1], (t - since) / 1000000))
            break
          end
        end
      end
    end

    -- A refund against what is left of its payment once the refunds before it are counted
    -- (a function only where a refund is judged: each closure costs every call).
    local judgeRefund
    if kind == 'refund' or kind == 'recheck_refund' then function judgeRefund(r)
      local paid = redis.call('HGET', PA, r.payment)
      if not paid then
        -- below the minimum, a refund of an unknown payment is taken for a return of an old purchase
        if r.amount < $refundUnknownMin then return end
        verdict(r.id, 'refund_abuse', 'refund of payment ' .. r.payment .. ', which this account never made', unlessRechecked, r.time, r.payment .. '|' .. fmt(r.amount))
        return
      end
      local before = 0
      local raw = redis.call('ZRANGEBYSCORE', RF, '-inf', fmt(r.time), 'WITHSCORES')
      for i = 1, #raw, 2 do
        local f = split(raw[i], 3)
        local t = tonumber(raw[i + 1])
        if f[2] == r.payment and f[1] ~= r.id and (t < r.time or raw[i] < r.member) then before = before + tonumber(f[3]) end
      end
      local remaining = tonumber(paid) - before
      if r.amount > remaining then
        alert(r.id, 'refund_abuse', string.format('refund %s exceeds the %s left of payment %s', fmt(r.amount), fmt(math.max(remaining, 0)), r.payment))
      end
    end end

    -- Everything a newly stored event can change: the payments in the horizon after
    -- it, and the next ones whose amount history it joins. Nothing when in order.
    local function rejudgePayments(from)
      local function payment(member, score)
        local f = split(member, 5)
        return { id = f[1], amount = tonumber(f[2]), country = f[3], continent = f[4], merchant = f[5], time = tonumber(score) }
      end
      local judged = {}
      local raw = redis.call('ZRANGEBYSCORE', P, fmt(from), fmt(from + $horizon), 'WITHSCORES')
      for i = 1, #raw, 2 do
        judged[raw[i]] = true
        judge(payment(raw[i], raw[i + 1]))
      end
      raw = redis.call('ZRANGEBYSCORE', P, '(' .. fmt(from), '+inf', 'WITHSCORES', 'LIMIT', 0, $spikeHistory)
      for i = 1, #raw, 2 do
        if not judged[raw[i]] then judge(payment(raw[i], raw[i + 1])) end
      end
    end

    -- Whether this call may have created a key (a set holding one member): see the expiry below.
    local created = false
    local function cap(key, keep)
      local card = redis.call('ZCARD', key)
      if card == 1 then created = true end
      local excess = card - keep
      if excess > 0 then
        local old = redis.call('ZRANGE', key, 0, excess - 1)
        redis.call('ZREMRANGEBYRANK', key, 0, excess - 1)
        return old
      end
      return {}
    end

    if kind == 'recheck_blocked' then
      judgeBlocked({ id = id, time = now }, nowText)
      return alerts
    elseif kind == 'recheck_refund' then
      judgeRefund({ id = id, payment = original, amount = amount, time = now, member = id .. '|' .. original .. '|' .. fmt(amount) })
      return alerts
    elseif kind == 'payment' then
      local amountText = fmt(amount)
      local member = id .. '|' .. amountText .. '|' .. country .. '|' .. continent .. '|' .. merchant
      redis.call('ZADD', P, nowText, member)
      redis.call('HSET', PA, id, amountText)
      for _, m in ipairs(cap(P, $keepPayments)) do redis.call('HDEL', PA, split(m, 5)[1]) end
      -- In order (the usual case): the payment is the only one at or after its time, so it
      -- is the only one to judge, and this one read is its window too.
      local raw = redis.call('ZRANGEBYSCORE', P, fmt(now - $reach), '+inf', 'WITHSCORES')
      local n = #raw
      if n >= 2 and raw[n - 1] == member and (n == 2 or tonumber(raw[n - 2]) < tonumber(raw[n])) then
        -- judged from its own fields: they are what the member holds (a decoded event's
        -- country is two letters, its id a UUID, its amount whole), without parsing it back
        judge({ id = id, amount = amount, country = country, continent = continent, merchant = merchant, time = now }, raw, nowText)
      else
        rejudgePayments(now)
      end
    elseif kind == 'topup' then
      redis.call('ZADD', T, nowText, id .. '|' .. fmt(amount))
      cap(T, 50)
      -- in order (no payment at or after it), nothing to re-judge
      if #redis.call('ZRANGEBYSCORE', P, nowText, '+inf', 'LIMIT', 0, 1) > 0 then rejudgePayments(now) end
    elseif kind == 'account_blocked' or kind == 'account_unblocked' then
      redis.call('ZADD', ST, nowText, id .. (kind == 'account_blocked' and '|b' or '|u'))
      cap(ST, 20)
      if #redis.call('ZRANGEBYSCORE', P, nowText, '+inf', 'LIMIT', 0, 1) > 0 then rejudgePayments(now) end
    elseif kind == 'refund' then
      local member = id .. '|' .. original .. '|' .. fmt(amount)
      redis.call('ZADD', RF, nowText, member)
      cap(RF, 100)
      judgeRefund({ id = id, payment = original, amount = amount, time = now, member = member })
      -- Refunds of the same payment after this one have less left than they were told.
      local later = redis.call('ZRANGEBYSCORE', RF, '(' .. nowText, '+inf', 'WITHSCORES')
      for i = 1, #later, 2 do
        local f = split(later[i], 3)
        if f[2] == original then
          judgeRefund({ id = f[1], payment = f[2], amount = tonumber(f[3]), time = tonumber(later[i + 1]), member = later[i] })
        end
      end
    end

    -- Expiry: every key of the account gets the TTL again, together, when one was created or
    -- when the last refresh is older than 1 % of the TTL (P's TTL tells, as all are set at once).
    if created or redis.call('PTTL', P) < $stateTTL * 990 then
      for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, $stateTTL) end
    end
    return alerts
    """#
}
