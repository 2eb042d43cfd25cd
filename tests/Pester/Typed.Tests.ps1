# Issue 24: typed results for the platform's resources. Each resource of the catalogue
# (src/ITwinAuth/Api/ApiCatalogue.cs) gets its type name in front of PSCustomObject's, a table that
# fits 80 columns, a list of the rest, and ConvertTo-Json still gives the platform's JSON. Resources the
# emulator serves are read from it; the others from canned bodies with the fields Bentley documents,
# served at their real paths by an emulator fault that answers 200.
BeforeDiscovery {
    # Type: the catalogue name. Path/Query/ApiVersion/Prefer: the request. Mode: how the items come
    # (Unwrap, All, or First). Key: the envelope key of the raw body. Columns: the table, as the issue
    # wants it. Hidden: properties the list view leaves out on purpose. Canned: a body for the path.
    $cases = @(
        @{ Type = 'ITwin'; Path = '/itwins'; Mode = 'First'; Prefer = 'Representation'; Key = 'iTwins'
            Columns = 'displayName', 'number', 'subClass', 'status', 'id'; Hidden = @('image') }
        @{ Type = 'IModel'; Path = '/imodels'; Query = 'iTwin'; ApiVersion = 'v2'; Prefer = 'Representation'; Mode = 'Unwrap'; Key = 'iModels'
            Columns = 'displayName', 'state', 'createdDateTime', 'id'; Hidden = @('_links', 'isSecured') }
        @{ Type = 'Changeset'; Path = '/imodels/{iModel}/changesets'; ApiVersion = 'v2'; Prefer = 'Representation'; Mode = 'All'; Key = 'changesets'
            Columns = 'index', 'description', 'pushDateTime', 'fileSize', 'id'; Hidden = @('_links', 'synchronizationInfo') }
        @{ Type = 'NamedVersion'; Path = '/imodels/{iModel}/namedversions'; ApiVersion = 'v2'; Prefer = 'Representation'; Mode = 'Unwrap'; Key = 'namedVersions'
            Columns = 'displayName', 'changesetIndex', 'createdDateTime', 'id'; Hidden = @('_links') }
        @{ Type = 'Member'; Path = '/accesscontrol/itwins/{iTwin}/members/users'; Mode = 'Unwrap'; Key = 'members'
            Columns = 'email', 'givenName', 'surname', 'roles'; Hidden = @() }
        @{ Type = 'Role'; Path = '/accesscontrol/itwins/{iTwin}/roles'; Mode = 'Unwrap'; Key = 'roles'
            Columns = 'displayName', 'description', 'id'; Hidden = @() }
        @{ Type = 'User'; Path = '/users/me'; Mode = 'Unwrap'; Key = 'user'
            Columns = 'email', 'givenName', 'surname', 'id'; Hidden = @() }
        @{ Type = 'RealityData'; Path = '/realitydata'; Query = 'iTwin'; Prefer = 'Representation'; Mode = 'All'; Key = 'realityData'
            Columns = 'displayName', 'type', 'classification', 'id'; Hidden = @() }
        @{ Type = 'Repository'; Path = '/itwins/{iTwin}/repositories'; Mode = 'Unwrap'; Key = 'repositories'
            Columns = 'displayName', 'class', 'subClass', 'id'; Hidden = @()
            Canned = '{"repositories":[{"id":"5b0b6f21-5b0a-4c86-9d4e-0f6a3c0d7a11","class":"GeographicInformationSystem","subClass":"WebMapService","displayName":"County parcels","uri":"https://gis.example.com/arcgis/services/Parcels/MapServer/WMSServer","authentication":{"type":"Header","key":"X-Api-Key","value":"repository-credential-never-shown"}},{"id":"8f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b","class":"iModels","displayName":"iModels","uri":"https://api.bentley.com/imodels?iTwinId=3f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"}],"_links":{"self":{"href":"https://api.bentley.com/itwins/3f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b/repositories"}}}' }
        @{ Type = 'Export'; Path = '/itwins/exports'; Mode = 'Unwrap'; Key = 'exports'
            Columns = 'status', 'createdDateTime', 'completedDateTime', 'id'; Hidden = @('request')
            Canned = '{"exports":[{"id":"0c7d8e9f-1a2b-4c3d-9e8f-7a6b5c4d3e2f","request":{"queryScope":"MemberOfiTwin","outputFormat":"CsvGZip","select":"id,displayName,number,status","includeInactive":false},"status":"Completed","outputUrl":"https://itwinsexports.blob.core.windows.net/exports/0c7d8e9f.csv.gz?sv=2024-05-04&sig=abc","createdBy":"84fd6bbc-bd8e-1978-c9a8-2bf124d65e7f","createdDateTime":"2025-03-04T09:12:45.1234567Z","startedDateTime":"2025-03-04T09:12:47.0000000Z","completedDateTime":"2025-03-04T09:14:02.5000000Z"}]}' }
        @{ Type = 'Group'; Path = '/accesscontrol/itwins/{iTwin}/groups'; Mode = 'Unwrap'; Key = 'groups'
            Columns = 'name', 'description', 'id'; Hidden = @()
            Canned = '{"groups":[{"id":"2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d","name":"Surveyors","description":"Field survey team","members":[{"userId":"6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d","email":"ada.lovelace@example.com","givenName":"Ada","surname":"Lovelace","organization":"Analytical Engines Ltd"}],"imsGroups":["Survey-Team"]}]}' }
        @{ Type = 'Invitation'; Path = '/accesscontrol/itwins/{iTwin}/members/invitations'; Mode = 'Unwrap'; Key = 'invitations'
            Columns = 'email', 'status', 'expirationDate', 'id'; Hidden = @()
            Canned = '{"invitations":[{"id":"9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b","email":"new.hire@example.com","invitedByEmail":"ada.lovelace@example.com","status":"Pending","createdDate":"2025-05-01T08:00:00.0000000Z","expirationDate":"2025-05-08T08:00:00.0000000Z","roles":[{"id":"a72c5740-37b1-4f1e-9a0b-1c2d3e4f5a6b","displayName":"Viewer","description":"Reads the iTwin''s data."}]}],"_links":{"self":{"href":"https://api.bentley.com/accesscontrol/itwins/3f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b/members/invitations"}}}' }
        @{ Type = 'SynchronizationConnection'; Path = '/synchronization/imodels/storageconnections'; Mode = 'Unwrap'; Key = 'connections'
            Columns = 'displayName', 'authenticationType', 'id'; Hidden = @('_links')
            Canned = '{"connections":[{"id":"MWplZe9Uf0iR1IDMqyOMLqBN0_wHEVBGg_CzJmXdmE4","displayName":"Building design files","iTwinId":"3f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b","iModelId":"101cf449-7d0d-ad04-6dd4-57d124f3f222","authenticationType":"Service","_links":{"iModel":{"href":"https://api.bentley.com/imodels/101cf449-7d0d-ad04-6dd4-57d124f3f222"},"lastRun":{"href":"https://api.bentley.com/synchronization/imodels/storageconnections/MWplZe9Uf0iR1IDMqyOMLqBN0_wHEVBGg_CzJmXdmE4/runs/7c6b5a4f"}}}],"_links":{"self":{"href":"https://api.bentley.com/synchronization/imodels/storageconnections"}}}' }
        @{ Type = 'SynchronizationRun'; Path = '/synchronization/imodels/storageconnections/MWplZe9Uf0iR1IDMqyOMLqBN0_wHEVBGg_CzJmXdmE4/runs'; Mode = 'Unwrap'; Key = 'runs'
            Columns = 'state', 'result', 'startDateTime', 'endDateTime'; Hidden = @('jobs')
            Canned = '{"runs":[{"id":"7c6b5a4f-3e2d-4c1b-8a09-f8e7d6c5b4a3","connectionId":"MWplZe9Uf0iR1IDMqyOMLqBN0_wHEVBGg_CzJmXdmE4","state":"Completed","result":"Success","phase":"MasterFile","startDateTime":"2025-04-02T22:00:03.1000000Z","endDateTime":"2025-04-02T22:41:55.9000000Z","jobs":[{"id":"j1","connectorType":"MSTN","state":"Completed","result":"Success","startDateTime":"2025-04-02T22:00:05Z","endDateTime":"2025-04-02T22:41:50Z"}]}],"_links":{"self":{"href":"https://api.bentley.com/synchronization/imodels/storageconnections/MWplZe9Uf0iR1IDMqyOMLqBN0_wHEVBGg_CzJmXdmE4/runs"}}}' }
        @{ Type = 'SavedView'; Path = '/savedviews'; Query = 'iTwin'; Mode = 'Unwrap'; Key = 'savedViews'
            Columns = 'displayName', 'shared', 'lastModified', 'id'; Hidden = @('_links')
            Canned = '{"savedViews":[{"id":"AAkrUj3B8lRJqwBbM6sWrnk5c2CfRtBCk3AJLySG2x5OBZ5yvu3IVEa7mZHLX-ZXsQ","displayName":"North elevation","shared":true,"tags":[{"id":"AAkrUj3B8lRJ","displayName":"Review"}],"creationTime":"2025-02-10T15:20:11.000Z","lastModified":"2025-02-11T09:05:43.000Z","_links":{"iTwin":{"href":"https://api.bentley.com/iTwins/3f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"}}}],"_links":{"self":{"href":"https://api.bentley.com/savedviews?iTwinId=3f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"}}}' }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator -ITwinCount 30
    $app = New-TestApp -Emulator $emulator
    Connect-TestApp -Emulator $emulator -App $app | Out-Null
    $iTwinId = (Invoke-ITwinRequest -Path /itwins -First 1).id
    $iModelId = (Invoke-ITwinRequest -Path /imodels -Query @{ iTwinId = $iTwinId } -ApiVersion v2 -Unwrap)[0].id
    $utc = '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$'

    # The request of a case, as splatted parameters (without -All/-Unwrap/-First).
    function Get-Request($Case) {
        $request = @{ Path = $Case.Path -replace '\{iTwin\}', $iTwinId -replace '\{iModel\}', $iModelId }
        if ($Case.Query) { $request.Query = @{ iTwinId = $iTwinId } }
        if ($Case.ApiVersion) { $request.ApiVersion = $Case.ApiVersion }
        if ($Case.Prefer) { $request.Prefer = $Case.Prefer }
        $request
    }

    function Get-TypedItems($Case) {
        $request = Get-Request $Case
        switch ($Case.Mode) {
            'All' { $request.All = $true; if ($Case.Type -eq 'Changeset') { $request.Query = @{ '$top' = 5 } } }
            'First' { $request.First = 3 }
            default { $request.Unwrap = $true }
        }
        @(Invoke-ITwinRequest @request)
    }

    # The first item of the body as the platform sent it, dates as the strings they are.
    function Get-RawItem($Case) {
        $request = Get-Request $Case
        $body = Invoke-ITwinRequest @request -Raw | ConvertFrom-Json -AsHashtable -DateKind String
        $value = $body[$Case.Key]
        if ($value -is [array]) { $value[0] } else { $value }
    }

    # A table as a person sees it at 80 columns, read back. Throws when its columns are not $Columns (one
    # dropped for want of room), a line is wider than 80, a label is cut short (a column narrower than
    # its header: "displayNa…"), a column is one letter wide, or a row wrapped onto more lines than
    # there are items.
    function Read-Table([object[]] $Items, [string[]] $Columns) {
        $lines = @(($Items | Out-String -Width 80) -split '\r?\n' | ForEach-Object TrimEnd)
        $dashes = @(0..($lines.Count - 1) | Where-Object { $lines[$_] -match '^-+( +-+)*$' })
        if ($dashes.Count -ne 1) { throw "Not one table: $($lines -join "`n")" }
        $header = $lines[$dashes[0] - 1]
        $rows = @($lines | Select-Object -Skip ($dashes[0] + 1) | Where-Object { $_ })
        $labels = @($header.Trim() -split '\s+')
        if (($labels -join ' ') -cne ($Columns -join ' ')) { throw "Columns $($labels -join ', '), not $($Columns -join ', '):`n$($lines -join "`n")" }
        $wide = @($lines | Where-Object { $_.Length -gt 80 })
        if ($wide) { throw "Wider than 80 columns: $($wide[0])" }
        if ($labels -match '…') { throw "A column is narrower than its header: $header" }
        if (([regex]::Matches($lines[$dashes[0]], '-+') | Where-Object Length -eq 1)) { throw "A one-letter column: $header" }
        if ($rows.Count -ne $Items.Count) { throw "$($rows.Count) rows for $($Items.Count) items (wrapped?):`n$($lines -join "`n")" }
        [pscustomobject]@{ Labels = $labels; Rows = $rows; Text = $lines -join "`n" }
    }

    # A list view read back: label -> the first line of its value.
    function Read-List($Item) {
        $list = [ordered]@{}
        foreach ($line in (($Item | Format-List | Out-String -Width 80) -split '\r?\n')) {
            if ($line -match '^(\S+)\s*: ?(.*)$') { $list[$Matches[1]] = $Matches[2].TrimEnd() }
        }
        $list
    }
}
AfterAll { Stop-ITwinEmulator -Emulator $emulator }

Describe 'Typed results' -Tag Typed {
    Context '<Type>' -ForEach $cases {
        BeforeAll {
            $case = @{ Type = $Type; Path = $Path; Query = $Query; ApiVersion = $ApiVersion; Prefer = $Prefer; Mode = $Mode; Key = $Key }
            Clear-EmulatorFault $emulator
            if ($Canned) { Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = (Get-Request $case).Path; status = 200; body = $Canned; times = -1 }) }
            try {
                $items = Get-TypedItems $case
                $raw = Get-RawItem $case
            }
            finally { Clear-EmulatorFault $emulator }
            $resource = [ITwinAuth.Api.ApiCatalogue]::Resources | Where-Object Name -eq $Type
        }

        It 'is ITwinAuth.Api.<Type>, in front of PSCustomObject''s type names' {
            $items.Count | Should -BeGreaterThan 0
            foreach ($item in $items) {
                $item.PSObject.TypeNames[0] | Should -Be "ITwinAuth.Api.$Type"
                @($item.PSObject.TypeNames | Select-Object -Skip 1) | Should -Be @('System.Management.Automation.PSCustomObject', 'System.Object')
            }
            $resource | Should -Not -BeNullOrEmpty -Because 'the catalogue names it'
            $resource.TypeName | Should -Be "ITwinAuth.Api.$Type"
        }

        It 'shows a table of <Columns> at 80 columns, nothing cut short or wrapped' {
            $table = Read-Table $items $Columns
            $table.Labels | Should -Be $Columns -Because $table.Text
            (Get-FormatData -TypeName "ITwinAuth.Api.$Type").FormatViewDefinition[0].Control | Should -BeOfType System.Management.Automation.TableControl
        }

        It 'shows the rest in a list, dates as yyyy-MM-dd HH:mm:ssZ' {
            $list = Read-List $items[0]
            foreach ($property in $items[0].PSObject.Properties.Name) {
                if ($property -notin $Hidden) { $list.Keys | Should -Contain $property -Because "the list view shows $property" }
            }
            $dated = 0
            foreach ($date in $resource.DateProperties) {
                $value = $items[0].$date
                if ($null -eq $value) { continue }
                $expected = ([datetimeoffset]::Parse($value, [cultureinfo]::InvariantCulture)).UtcDateTime.ToString('yyyy-MM-dd HH:mm:ss\Z', [cultureinfo]::InvariantCulture)
                $list[$date] | Should -Be $expected
                $list[$date] | Should -Match $utc
                $dated++
            }
            if ($resource.DateProperties.Count) { $dated | Should -BeGreaterThan 0 -Because 'the sample has a date to show' }
        }

        It 'keeps the platform''s JSON: ConvertTo-Json gives the same fields and values, dates as sent' {
            $json = $items[0] | ConvertTo-Json -Depth 20 -Compress
            ConvertTo-CanonicalJson ($json | ConvertFrom-Json -AsHashtable -DateKind String) | Should -Be (ConvertTo-CanonicalJson $raw)
            foreach ($date in $resource.DateProperties) {
                if ($raw[$date]) { $json | Should -BeLikeExactly "*`"$date`":`"$($raw[$date])`"*" }
            }
            $json | Should -Not -Match 'ITwinAuth\.Api'
        }
    }
}

Describe 'What gets a type, and what does not' -Tag Typed {
    BeforeEach { Clear-EmulatorFault $emulator }

    It 'types the one object a single-resource envelope wraps; the envelope stays a plain PSCustomObject' {
        $envelope = Invoke-ITwinRequest -Path "/itwins/$iTwinId"
        $envelope.PSObject.TypeNames[0] | Should -Be 'System.Management.Automation.PSCustomObject'
        $envelope.iTwin.PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.ITwin'
        (Invoke-ITwinRequest -Path "/itwins/$iTwinId" -Unwrap).PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.ITwin'
        (Invoke-ITwinRequest -Path "/itwins/$iTwinId" -All).iTwin.PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.ITwin'
        (Invoke-ITwinRequest -Path "/imodels/$iModelId" -ApiVersion v2 -Unwrap).PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.IModel'
        $changeset = Invoke-ITwinRequest -Path "/imodels/$iModelId/changesets/3" -ApiVersion v2 -Unwrap
        $changeset.PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.Changeset'
        $changeset.index | Should -Be 3
    }

    It 'gives the items of one listing one type-name list, and a user who changes one item''s names changes only that item' {
        $items = @(Invoke-ITwinRequest -Path /itwins -First 3)
        $items.Count | Should -Be 3
        $items[0].PSObject.TypeNames.Insert(0, 'My.Own.Type')
        $items[0].PSObject.TypeNames[0..1] | Should -Be @('My.Own.Type', 'ITwinAuth.Api.ITwin')
        foreach ($other in $items[1..2]) {
            @($other.PSObject.TypeNames) | Should -Be @('ITwinAuth.Api.ITwin', 'System.Management.Automation.PSCustomObject', 'System.Object')
        }
        $items[1].PSObject.TypeNames.Remove('ITwinAuth.Api.ITwin') | Should -BeTrue
        $items[2].PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.ITwin'
        (Invoke-ITwinRequest -Path /itwins -First 1).PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.ITwin' -Because 'a later listing is not affected either'
    }

    It 'stamps type names the fast way on PowerShell 7 (a shared read-only list; the fallback inserts into each item)' -Skip:($PSVersionTable.PSEdition -eq 'Desktop') {
        $stamp = [ITwinAuth.Api.ApiFormat].Assembly.GetType('ITwinAuth.Api.TypeNameStamp')
        $stamp.GetField('Fast', [Reflection.BindingFlags]'NonPublic, Static').GetValue($null) | Should -BeTrue
    }

    It 'types a listing''s items inside the envelope too, and only the items (not nested objects, not _links)' {
        $page = Invoke-ITwinRequest -Path "/accesscontrol/itwins/$iTwinId/members/users"
        $page.PSObject.TypeNames[0] | Should -Be 'System.Management.Automation.PSCustomObject'
        $page._links.PSObject.TypeNames[0] | Should -Be 'System.Management.Automation.PSCustomObject'
        foreach ($member in $page.members) {
            $member.PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.Member'
            $member.roles[0].PSObject.TypeNames[0] | Should -Be 'System.Management.Automation.PSCustomObject'
        }
        $member = Invoke-ITwinRequest -Path "/accesscontrol/itwins/$iTwinId/members/users/$($page.members[0].id)" -Unwrap
        $member.PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.Member'
        $member.email | Should -Be "$($app.ClientId)@apps.imsoidc.bentley.com" -Because 'the service app is a member of the iTwin it reads'
    }

    It 'streams -All page by page, each item with its collection''s type: <Path>' -ForEach @(
        @{ Path = '/itwins'; Top = 7; Count = 30; Type = 'ITwin' }
        @{ Path = '/imodels/{iModel}/changesets'; Top = 5; Count = 12; Type = 'Changeset' }
        @{ Path = '/realitydata'; Top = 100; Count = 250; Type = 'RealityData' }
    ) {
        $query = @{ '$top' = $Top }
        if ($Path -eq '/realitydata') { $query.iTwinId = $iTwinId }
        $items = @(Invoke-ITwinRequest -Path ($Path -replace '\{iModel\}', $iModelId) -Query $query -ApiVersion v2 -All)
        $items.Count | Should -Be $Count
        @($items | Where-Object { $_.PSObject.TypeNames[0] -ne "ITwinAuth.Api.$Type" }).Count | Should -Be 0
    }

    It 'types favorites as iTwins' {
        Invoke-ITwinRequest -Method Post -Path "/itwins/favorites/$iTwinId" -Confirm:$false
        try {
            $favorite = @(Invoke-ITwinRequest -Path /itwins/favorites -All)
            $favorite.Count | Should -Be 1
            $favorite[0].PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.ITwin'
        }
        finally { Invoke-ITwinRequest -Method Delete -Path "/itwins/favorites/$iTwinId" -Confirm:$false }
    }

    It 'gives items of an envelope it does not know ITwinAuth.Api.Item, shown as a list of every property' {
        $body = '{"webhooks":[{"id":"3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f","callbackUrl":"https://hooks.example.com/itwin/a-rather-long-callback-path-that-would-squeeze-a-table","scope":"iTwin","scopeId":"3f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b","eventTypes":["iModels.iModelCreated.v1","iModels.namedVersionCreated.v1","iModels.changesetsMerged.v1","iTwins.iTwinDeleted.v1","accessControl.memberAdded.v1"],"active":true,"x":1}],"_links":{"self":{"href":"https://api.bentley.com/webhooks"}}}'
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/webhooks'; status = 200; body = $body; times = -1 })
        $hooks = @(Invoke-ITwinRequest -Path /webhooks -Unwrap)
        $hooks[0].PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.Item'
        (Invoke-ITwinRequest -Path /webhooks).webhooks[0].PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.Item'
        @(Invoke-ITwinRequest -Path /webhooks -All)[0].PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.Item'
        $narrow = $hooks, $hooks | ForEach-Object { $_ } | Out-String -Width 80
        $narrow | Should -Not -Match '(?m)^-+ +-+' -Because 'it is no table'
        $narrow | Should -Match '(?m)^callbackUrl : https://hooks\.example\.com/itwin/'
        $text = $hooks, $hooks | ForEach-Object { $_ } | Out-String -Width 250
        $text | Should -Match '(?m)^callbackUrl : https://hooks\.example\.com/itwin/'
        $text | Should -Match '(?m)^eventTypes  : \{iModels\.iModelCreated\.v1, iModels\.namedVersionCreated\.v1, iModels\.changesetsMerged\.v1, iTwins\.iTwinDeleted\.v1…\}'
        $text | Should -Match '(?m)^active      : True$'
        $text | Should -Match '(?m)^x           : 1$'
        ([regex]::Matches($text, '(?m)^id          : ')).Count | Should -Be 2 -Because 'each item is shown'
        (Get-FormatData -TypeName ITwinAuth.Api.Item).FormatViewDefinition.Control | Should -BeOfType System.Management.Automation.CustomControl
    }

    It 'gives a single unknown resource ITwinAuth.Api.Item, and leaves non-objects and other bodies alone' {
        Add-EmulatorFault -Emulator $emulator -Fault @(
            @{ path = '/webhooks/1'; status = 200; body = '{"webhook":{"id":"1","active":false}}'; times = -1 }
            @{ path = '/accesscontrol/itwins/permissions'; status = 200; body = '{"permissions":["itwins_read","imodels_read"]}'; times = -1 }
        )
        (Invoke-ITwinRequest -Path /webhooks/1 -Unwrap).PSObject.TypeNames[0] | Should -Be 'ITwinAuth.Api.Item'
        Invoke-ITwinRequest -Path /accesscontrol/itwins/permissions -Unwrap | Should -Be @('itwins_read', 'imodels_read')
        $echo = Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body @{ a = 1 }
        $echo.PSObject.TypeNames[0] | Should -Be 'System.Management.Automation.PSCustomObject'
    }

    It 'leaves -AsHashtable and -Raw as they were' {
        $hashtable = Invoke-ITwinRequest -Path "/itwins/$iTwinId" -AsHashtable
        $hashtable | Should -BeOfType System.Collections.IDictionary
        $hashtable.iTwin | Should -BeOfType System.Collections.IDictionary
        $hashtable.iTwin.PSObject.TypeNames | Should -Not -Contain 'ITwinAuth.Api.ITwin'
        $paged = @(Invoke-ITwinRequest -Path /itwins -First 2 -AsHashtable)
        $paged[0] | Should -BeOfType System.Collections.IDictionary
        $paged[0].PSObject.TypeNames | Should -Not -Contain 'ITwinAuth.Api.ITwin'
        @(Invoke-ITwinRequest -Path "/itwins/$iTwinId" -Unwrap -AsHashtable)[0] | Should -BeOfType System.Collections.IDictionary
        $raw = @(Invoke-ITwinRequest -Path /itwins -First 2 -Raw)
        $raw[0] | Should -BeOfType string
        $raw[0] | Should -BeLike '{"id":*'
        Invoke-ITwinRequest -Path "/itwins/$iTwinId" -Raw | Should -BeLike '{"iTwin":{*'
    }

    It 'unwraps as before: the one value beside _links, or the whole body when there is more' {
        Add-EmulatorFault -Emulator $emulator -Fault @(
            @{ path = '/webhooks/two'; status = 200; body = '{"webhook":{"id":"1"},"other":2,"_links":{}}'; times = -1 }
            @{ path = '/webhooks/none'; status = 200; body = '{"_links":{"self":{"href":"x"}}}'; times = -1 }
            @{ path = '/webhooks/null'; status = 200; body = '{"webhook":null}'; times = -1 }
        )
        $two = Invoke-ITwinRequest -Path /webhooks/two -Unwrap
        $two.other | Should -Be 2
        $two.PSObject.TypeNames[0] | Should -Be 'System.Management.Automation.PSCustomObject'
        (Invoke-ITwinRequest -Path /webhooks/none -Unwrap)._links.self.href | Should -Be 'x'
        Invoke-ITwinRequest -Path /webhooks/null -Unwrap | Should -BeNullOrEmpty
    }
}

Describe 'Views and the catalogue' -Tag Typed {
    It 'has a test case, a table view first and a list view for every resource of the catalogue' -ForEach @{ Tested = @($cases.Type) } {
        $names = @([ITwinAuth.Api.ApiCatalogue]::Resources.Name | Sort-Object)
        @($Tested | Sort-Object) | Should -Be $names
        foreach ($name in $names) {
            $views = @((Get-FormatData -TypeName "ITwinAuth.Api.$name").FormatViewDefinition)
            $views.Count | Should -Be 2
            $views[0].Control | Should -BeOfType System.Management.Automation.TableControl
            $views[1].Control | Should -BeOfType System.Management.Automation.ListControl
        }
    }

    It 'shows every date property of the catalogue through one date format, in table and list alike' {
        $file = Get-Content (Join-Path (Split-Path $env:ITWINAUTH_MODULE) 'ITwinAuth.Api.Format.ps1xml') -Raw
        foreach ($resource in [ITwinAuth.Api.ApiCatalogue]::Resources) {
            foreach ($date in $resource.DateProperties) {
                $file | Should -Match ([regex]::Escape("[ITwinAuth.Api.ApiFormat]::Date(`$_.$date)"))
                $file | Should -Not -Match "<PropertyName>$date</PropertyName>" -Because "$date is shown as a date, not as the JSON's string"
            }
        }
        $file | Should -Not -Match 'ToString\(|ToLocalTime'
        [ITwinAuth.Api.ApiFormat]::DateFormat | Should -Be "yyyy-MM-dd HH:mm:ss'Z'"
    }

    It 'turns <Value> into <Shown>' -ForEach @(
        @{ Value = '2016-01-18T21:03:00.3704659Z'; Shown = '2016-01-18 21:03:00Z' }
        @{ Value = '2024-01-01T00:00:00+00:00'; Shown = '2024-01-01 00:00:00Z' }
        @{ Value = '2024-06-30T23:30:00-02:00'; Shown = '2024-07-01 01:30:00Z' }
        @{ Value = '2024-06-30T23:30:00'; Shown = '2024-06-30 23:30:00Z' }
        @{ Value = 'Active'; Shown = 'Active' }
        @{ Value = '12'; Shown = '12' }
        @{ Value = ''; Shown = '' }
    ) {
        [ITwinAuth.Api.ApiFormat]::Date($Value) | Should -BeExactly $Shown
    }

    It 'shows the same date under another culture' {
        $saved = [cultureinfo]::CurrentCulture
        try {
            [cultureinfo]::CurrentCulture = 'de-DE'
            [ITwinAuth.Api.ApiFormat]::Date('2016-01-18T21:03:00.3704659Z') | Should -BeExactly '2016-01-18 21:03:00Z'
        }
        finally { [cultureinfo]::CurrentCulture = $saved }
    }

    It 'never shows a repository''s credential' -ForEach @{ Body = ($cases | Where-Object { $_.Type -eq 'Repository' }).Canned } {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = "/itwins/$iTwinId/repositories"; status = 200; body = $Body; times = -1 })
        try {
            $repositories = Invoke-ITwinRequest -Path "/itwins/$iTwinId/repositories" -Unwrap
            $shown = ($repositories | Out-String -Width 250) + ($repositories | Format-List | Out-String -Width 250)
            $shown | Should -Not -Match 'repository-credential-never-shown'
            $shown | Should -Match 'authentication\s+: Header X-Api-Key'
        }
        finally { Clear-EmulatorFault $emulator }
    }

    It 'catches a table that does not fit (<Why>): the check of these tests can fail' -ForEach @(
        @{ Why = 'wider than 80: a column dropped'; Widths = 40, 30, 11, 8, 0 }
        @{ Why = 'a column narrower than its header'; Widths = 30, 4, 11, 8, 0 }
        @{ Why = 'a one-letter column'; Widths = 30, 16, 11, 1, 0 }
        @{ Why = 'fits'; Widths = 30, 16, 11, 8, 0; Fits = $true }
    ) {
        $columns = 'displayName', 'number', 'subClass', 'status', 'id'
        $typeName = 'ITwinAuth.Tests.Table' + ($Widths -join 'x')
        $headers = for ($i = 0; $i -lt 5; $i++) { "<TableColumnHeader><Label>$($columns[$i])</Label>$(if ($Widths[$i]) { "<Width>$($Widths[$i])</Width>" })</TableColumnHeader>" }
        $items = $columns | ForEach-Object { "<TableColumnItem><PropertyName>$_</PropertyName></TableColumnItem>" }
        # Not in $TestDrive: PowerShell reads every format file it was given again at each Import-Module
        # in this process, so the file must outlive the test (a later file in this worker imports again).
        $folder = [IO.Directory]::CreateDirectory((Join-Path ([IO.Path]::GetTempPath()) "itwinauth-typed-views-$PID")).FullName
        $file = Join-Path $folder "$typeName.format.ps1xml"
        Set-Content $file "<Configuration><ViewDefinitions><View><Name>$typeName</Name><ViewSelectedBy><TypeName>$typeName</TypeName></ViewSelectedBy><TableControl><TableHeaders>$($headers -join '')</TableHeaders><TableRowEntries><TableRowEntry><TableColumnItems>$($items -join '')</TableColumnItems></TableRowEntry></TableRowEntries></TableControl></View></ViewDefinitions></Configuration>"
        Update-FormatData -AppendPath $file
        $item = [pscustomobject]@{ displayName = 'iTwin 000001'; number = 'ITW-000001'; subClass = 'Project'; status = 'Active'; id = [guid]::NewGuid() }
        $item.PSObject.TypeNames.Insert(0, $typeName)
        if ($Fits) { { Read-Table @($item) $columns } | Should -Not -Throw }
        else { { Read-Table @($item) $columns } | Should -Throw }
    }
}

Describe '-Path completion from the catalogue' -Tag Typed {
    BeforeAll {
        function Complete([string] $Typed) {
            $line = "Invoke-ITwinRequest -Path $Typed"
            @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText)
        }
    }

    It 'offers every collection and {id} template of the catalogue' {
        $offered = Complete '' | ForEach-Object { $_.Trim("'") }
        foreach ($path in [ITwinAuth.Api.ApiCatalogue]::Paths) { $offered | Should -Contain $path }
    }

    It 'completes <Typed> with <Expected>' -ForEach @(
        @{ Typed = '/imodels/'; Expected = @("'/imodels/{id}'", "'/imodels/{id}/changesets'", "'/imodels/{id}/changesets/{id}'", "'/imodels/{id}/namedversions'", "'/imodels/{id}/namedversions/{id}'") }
        @{ Typed = '/imodels/101cf449-7d0d-ad04-6dd4-57d124f3f222/'; Expected = @('/imodels/101cf449-7d0d-ad04-6dd4-57d124f3f222/changesets', "'/imodels/101cf449-7d0d-ad04-6dd4-57d124f3f222/changesets/{id}'", '/imodels/101cf449-7d0d-ad04-6dd4-57d124f3f222/namedversions', "'/imodels/101cf449-7d0d-ad04-6dd4-57d124f3f222/namedversions/{id}'") }
        @{ Typed = '/imodels/101cf449-7d0d-ad04-6dd4-57d124f3f222/n'; Expected = @('/imodels/101cf449-7d0d-ad04-6dd4-57d124f3f222/namedversions', "'/imodels/101cf449-7d0d-ad04-6dd4-57d124f3f222/namedversions/{id}'") }
        @{ Typed = '/accesscontrol/itwins/abc/r'; Expected = @('/accesscontrol/itwins/abc/roles', "'/accesscontrol/itwins/abc/roles/{id}'") }
        @{ Typed = '/ITWINS/FAV'; Expected = @('/itwins/favorites') }
        @{ Typed = 'users/'; Expected = @('users/me', "'users/{id}'") }
        @{ Typed = '/imodels/101cf449'; Expected = @() }
        @{ Typed = '/itwins?skip=5'; Expected = @() }
    ) {
        (Complete $Typed) -join ' | ' | Should -Be ($Expected -join ' | ')
    }
}
