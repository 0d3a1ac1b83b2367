namespace PyHost.Workers.Dispatch;

/// <summary>A listener that can end a response with trailer fields (HTTP/2), beside <see cref="IWorkerExchange"/>.</summary>
public interface ITrailersExchange
{
    /// <summary>This response can carry trailers: the protocol allows them and the client said <c>TE: trailers</c>.</summary>
    bool CanSendTrailers { get; }

    /// <summary>Adds trailer fields (ASGI <c>http.response.trailers</c>), sent when the response completes.</summary>
    void AppendTrailers(IReadOnlyList<KeyValuePair<string, string>> trailers);
}
