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
        ]))
        #expect(configuration.velocityMaxPayments == 6)
        #expect(configuration.travelIntercontinentalMicroseconds == 30 * 60 * 1_000_000)
        #expect(configuration.cardTestingSmallAmount == 250)
    }

    @Test func aMalformedThresholdNamesItsVariable() {
        let error = #expect(throws: ConfigurationError.self) {
            try AntiFraudConfiguration(environment: Environment(["FRAUD_TOPUP_DRAIN_PERCENT": "x"]))
        }
        #expect(error?.variable == "FRAUD_TOPUP_DRAIN_PERCENT")
    }
}
