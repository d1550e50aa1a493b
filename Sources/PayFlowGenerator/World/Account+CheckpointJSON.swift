import PayFlowDomain

/// An account's saved state (`generator_world_accounts.state`), written as
/// its synthesized `Codable` form: the same keys, read back by `JSONDecoder`.
///
/// Every stored property is written, the profile too, since a restore lays
/// the whole record over the one the seed rebuilt. A property added to
/// ``Account`` must be added here: `CheckpointJSONTests` fails until it is.
extension Account {
    func write(to json: inout CheckpointJSON) throws(CheckpointJSONError) {
        json.beginObject()
        json.key("id")
        json.string(self.id)
        json.key("homeCountry")
        json.string(self.homeCountry)
        json.key("currency")
        json.string(self.currency.code)
        json.key("usualMerchants")
        json.beginArray()
        for merchant in self.usualMerchants {
            json.integer(merchant)
        }
        json.endArray()
        json.key("device")
        json.string(self.device)
        json.key("ip")
        json.string(self.ip)
        json.key("habitMedian")
        json.integer(self.habitMedian)
        json.key("activityWeight")
        try json.double(self.activityWeight)
        json.key("balance")
        json.integer(self.balance)
        json.key("isBlocked")
        json.bool(self.isBlocked)
        if let quietUntil = self.quietUntil {
            json.key("quietUntil")
            json.timestamp(quietUntil)
        }
        json.key("latestPayments")
        json.beginArray()
        for time in self.latestPayments {
            json.timestamp(time)
        }
        json.endArray()
        json.key("recentTopups")
        json.beginArray()
        for topup in self.recentTopups {
            topup.write(to: &json)
        }
        json.endArray()
        json.key("payments")
        json.beginArray()
        for payment in self.payments {
            payment.write(to: &json)
        }
        json.endArray()
        json.endObject()
    }

    /// The state as the JSON text the column holds.
    func checkpointJSON() throws(CheckpointJSONError) -> String {
        var json = CheckpointJSON(capacity: 768)
        try self.write(to: &json)
        return json.text
    }
}

extension Account.RecentTopup {
    func write(to json: inout CheckpointJSON) {
        json.beginObject()
        json.key("time")
        json.timestamp(self.time)
        json.key("amount")
        json.integer(self.amount)
        json.key("spentSince")
        json.integer(self.spentSince)
        json.endObject()
    }
}

extension Account.PastPayment {
    func write(to json: inout CheckpointJSON) {
        json.beginObject()
        json.key("id")
        json.uuid(self.id)
        json.key("merchant")
        json.string(self.merchant)
        json.key("amount")
        json.integer(self.amount)
        json.key("remaining")
        json.integer(self.remaining)
        json.endObject()
    }
}
