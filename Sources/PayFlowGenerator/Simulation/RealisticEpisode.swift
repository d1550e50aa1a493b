/// One shape the realistic profile adds to normal traffic.
enum RealisticEpisode: Sendable, Equatable {
    case legitimate(HardNegative)
    case adaptiveFraud(AdaptiveFraud)
}
