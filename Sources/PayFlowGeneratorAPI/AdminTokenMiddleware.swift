import Hummingbird

/// Guards the mutating endpoints with `Authorization: Bearer <ADMIN_TOKEN>`.
///
/// Only PUT and POST change the generator (configuration, start, injected
/// events), so reads stay open for dashboards and `curl`; a missing or wrong
/// token is refused before the body is read, with the same JSON error shape
/// as every other failure.
///
/// With no token at all (`nil`: the process was started without
/// `ADMIN_TOKEN`) every mutating request is refused: an unset secret must
/// not mean an open endpoint.
struct AdminTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    init(token: String?) {
        self.token = token
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard Self.isMutating(request.method) else {
            return try await next(request, context)
        }
        guard let token = self.token else {
            throw Self.refusal("ADMIN_TOKEN is not set on this generator, so its mutating endpoints are disabled")
        }
        guard let header = request.headers[.authorization] else {
            throw Self.refusal("this endpoint needs an 'Authorization: Bearer <token>' header")
        }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix,
              Self.constantTimeEquals(Array(header.utf8.dropFirst(prefix.utf8.count)), Array(token.utf8))
        else {
            throw Self.refusal("the bearer token is not valid")
        }
        return try await next(request, context)
    }

    /// Everything but reads needs the token, so a method added later is
    /// guarded by default.
    static func isMutating(_ method: HTTPRequest.Method) -> Bool {
        method != .get && method != .head && method != .options
    }

    private static func refusal(_ message: String) -> HTTPError {
        HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: message)
    }

    /// Compares without returning early, so the answer time does not tell how
    /// many leading bytes of a guess were right.
    private static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}
