import Hummingbird

/// Reads the whole request body before the API sees it, refusing it with 413
/// past `maxBytes`.
///
/// The generated decoders collect bodies without a bound, so the bound has to
/// be set here; buffering also lets the OpenAPI layer look at the body twice
/// (an empty body on an optional-body endpoint means "no body").
struct RequestBodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // A declared length past the limit is refused before reading a byte.
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > self.maxBytes {
            throw self.tooLarge()
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: self.maxBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw self.tooLarge()
        }
        return try await next(request, context)
    }

    private func tooLarge() -> HTTPError {
        HTTPError(.contentTooLarge, message: "the request body is larger than \(self.maxBytes) bytes")
    }
}
