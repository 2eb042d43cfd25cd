using System;
using System.Linq;
using System.Management.Automation;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>Turns the core's exceptions into error records: the ErrorId, the category by name, the
/// target as text (input, or "METHOD uri"). For a server's error, ErrorDetails is what PowerShell
/// shows: the message, followed by the iTwin error's details when it has any, made safe and at most
/// 16 KiB (<see cref="ServerText.Block"/>).</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(ITwinAuthException ex)
    {
        var category = Enum.TryParse<ErrorCategory>(ex.Category.ToString(), out var parsed) ? parsed : ErrorCategory.NotSpecified;
        var record = new ErrorRecord(ex, ex.ErrorId, category, ex.Target);
        if (ex is ITwinApiException api && api.Details.Count > 0)
        {
            var details = string.Join("\n", api.Details.Select(d =>
                $"  {d.Code}: {d.Message}{(d.Target is null ? string.Empty : $" (target: {d.Target})")}"));
            record.ErrorDetails = new ErrorDetails(ServerText.Block(ex.Message + "\n" + details, ServerText.DetailsMaximum));
        }
        else if (ex.ResponseBody is not null)
        {
            record.ErrorDetails = new ErrorDetails(ex.Message);
        }
        return record;
    }
}
