namespace PyHost.Protocol;

/// <summary>The peer sent bytes that are not a valid frame; the channel cannot be trusted any more.</summary>
public sealed class ProtocolException(string message) : Exception(message);
