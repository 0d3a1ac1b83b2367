namespace PyHost.Http.Listening;

/// <summary>A listener cannot be set up; the message is one line naming the address and the cause, for the user.</summary>
public sealed class ListenException(string message) : Exception(message);
