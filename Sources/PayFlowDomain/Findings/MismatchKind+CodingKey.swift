/// A kind is a dictionary key by its raw value (the generator's
/// `inconsistency_weights`), as ``EventType`` is in the mix.
extension MismatchKind: CodingKeyRepresentable {}
