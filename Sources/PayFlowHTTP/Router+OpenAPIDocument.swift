import Hummingbird
import Logging

extension Router {
    /// Adds `GET /openapi.json`, answering the document a spec-first API was
    /// generated from, as the generator and analytics APIs both do.
    ///
    /// The document is read once, here. When its bundle was not deployed
    /// beside the binary the route answers 503 and the reason is logged once
    /// at start-up, so the missing file costs that route and nothing else.
    ///
    /// - Parameters:
    ///   - bundleName: The resource bundle SwiftPM names `<package>_<target>`,
    ///     e.g. `payflow_PayFlowGeneratorAPI`.
    ///   - logger: Where a missing document is reported.
    public func addOpenAPIDocument(bundleName: String, logger: Logger) {
        let document = OpenAPIDocument.load(bundleName: bundleName)
        if document == nil {
            logger.error(
                "openapi.json is missing: deploy \(bundleName).resources beside the payflow binary; GET /openapi.json answers 503"
            )
        }
        self.get("/openapi.json") { _, _ -> Response in
            guard let document else {
                throw HTTPError(.serviceUnavailable, message: "the OpenAPI document was not deployed with this binary")
            }
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: document))
            )
        }
    }
}
