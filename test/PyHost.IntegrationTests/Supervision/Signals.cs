namespace PyHost.IntegrationTests.Supervision;

/// <summary>The signals pyhost takes from an operator, gunicorn's set (Linux numbers); Posix.SendSignal sends them.</summary>
public static class Signals
{
    public const int SigHup = 1;
    public const int SigQuit = 3;
    public const int SigTtin = 21;
    public const int SigTtou = 22;
}
