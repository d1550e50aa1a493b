import PayFlowAntiFraud
import PayFlowRuntime
import Testing

/// Configuration parsing: every threshold has a variable, and a bad value
/// names it.
@Suite struct AntiFraudConfigurationTests {
    @Test func readsThresholdsFromTheEnvironment() throws {
        let configuration = try AntiFraudConfiguration(environment: Environment([
            "FRAUD_VELOCITY_MAX_PAYMENTS": "6",
            "FRAUD_TRAVEL_INTERCONTINENTAL_MINUTES": "30",
            "FRAUD_BLOCKED_GRACE_SECONDS": "45",
            "FRAUD_REFUND_UNKNOWN_MIN_AMOUNT": "2500",
        ]))
        #expect(configuration.blockedGraceMicroseconds == 45_000_000)
        #expect(configuration.refundUnknownPaymentMinAmount == 2_500)
        #expect(configuration.velocityMaxPayments == 6)
        #expect(configuration.travelIntercontinentalMicroseconds == 30 * 60 * 1_000_000)
        #expect(configuration.cardTestingSmallAmount == 250)
        #expect(AntiFraudConfiguration().blockedGraceMicroseconds == 0, "every payment after a block alerts unless asked")
        #expect(AntiFraudConfiguration().refundUnknownPaymentMinAmount == 0, "every refund of an unknown payment alerts unless asked")
    }

    @Test func aMalformedThresholdNamesItsVariable() {
        let error = #expect(throws: ConfigurationError.self) {
            try AntiFraudConfiguration(environment: Environment(["FRAUD_TOPUP_DRAIN_PERCENT": "x"]))
        }
        #expect(error?.variable == "FRAUD_TOPUP_DRAIN_PERCENT")
    }
}
