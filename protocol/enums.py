"""Wire constants of the ctiemu CTI protocol: T-Library message and attribute numbering, enums.

Every number here goes on the wire. The numbering follows the public T-Library vocabulary
(TMessageType, TAttribute and the enumerations of call type, call state, DN role, ...), so that
people who know a Genesys T-Server recognise every value in a trace. This module knows nothing
about how values are framed or encoded; see protocol.wire for that.
"""

from __future__ import annotations

from enum import IntEnum


class MessageType(IntEnum):
    """T-Library message numbers (TMessageType). Requests are 0-49 plus later additions."""

    RequestRegisterClient = 0  #: handshake: protocol version, application name, credentials
    RequestQueryServer = 1  #: ask for EventServerInfo
    RequestQueryAddress = 2  #: ask for EventAddressInfo about a DN
    RequestRegisterAddress = 3  #: start receiving (and controlling) a DN's events
    RequestUnregisterAddress = 4  #: stop receiving a DN's events
    RequestRegisterAll = 5  #: monitor every DN
    RequestUnregisterAll = 6  #: stop monitoring every DN
    RequestSetInputMask = 7  #: choose which events this client receives
    RequestAgentLogin = 8  #: log an agent in on a DN
    RequestAgentLogout = 9  #: log an agent out
    RequestAgentReady = 10  #: agent ready for calls
    RequestAgentNotReady = 11  #: agent not ready
    RequestSetDNDOn = 12  #: do not disturb on
    RequestSetDNDOff = 13  #: do not disturb off
    RequestMakeCall = 14  #: originate a call from ThisDN to OtherDN
    RequestMakePredictiveCall = 15  #: originate a call with call progress detection
    RequestAnswerCall = 16  #: answer a ringing call
    RequestReleaseCall = 17  #: release ThisDN from a call
    RequestHoldCall = 18  #: put a call on hold
    RequestRetrieveCall = 19  #: take a call off hold
    RequestInitiateConference = 20  #: hold and dial a consultation for a conference
    RequestCompleteConference = 21  #: join the held and consultation calls
    RequestDeleteFromConference = 22  #: drop a party from a conference
    RequestInitiateTransfer = 23  #: hold and dial a consultation for a transfer
    RequestMuteTransfer = 24  #: transfer without consultation, completing at once
    RequestSingleStepTransfer = 25  #: transfer the call to another DN in one step
    RequestCompleteTransfer = 26  #: complete a two-step transfer
    RequestMergeCalls = 27  #: merge two calls
    RequestAlternateCall = 28  #: swap between held and active call
    RequestReconnectCall = 29  #: release the consultation and retrieve the held call
    RequestAttachUserData = 30  #: add pairs to the call's UserData
    RequestUpdateUserData = 31  #: add or replace pairs of the call's UserData
    RequestDeleteUserData = 32  #: delete all of the call's UserData
    RequestDeletePair = 33  #: delete one key of the call's UserData
    RequestCallForwardSet = 34  #: set call forwarding
    RequestCallForwardCancel = 35  #: cancel call forwarding
    RequestRouteCall = 36  #: route a call waiting on a routing point
    RequestGiveMusicTreatment = 37  #: play music to a call on a routing point
    RequestGiveSilenceTreatment = 38  #: play silence to a call on a routing point
    RequestGiveRingBackTreatment = 39  #: play ringback to a call on a routing point
    RequestLoginMailBox = 40  #: (voice mail; not supported by ctiemu)
    RequestLogoutMailBox = 41  #: (voice mail; not supported by ctiemu)
    RequestOpenVoiceFile = 42  #: (voice files; not supported by ctiemu)
    RequestCloseVoiceFile = 43  #: (voice files; not supported by ctiemu)
    RequestPlayVoiceFile = 44  #: (voice files; not supported by ctiemu)
    RequestCollectDigits = 45  #: collect DTMF digits from a caller
    RequestSetMessageWaitingOn = 46  #: message waiting lamp on
    RequestSetMessageWaitingOff = 47  #: message waiting lamp off
    RequestDistributeUserEvent = 48  #: send EventUserEvent to the clients of a DN
    RequestDistributeEvent = 49  #: distribute an arbitrary event

    EventServerConnected = 50  #: the client library reached the server
    EventServerDisconnected = 51  #: the client library lost the server
    EventError = 52  #: a request failed; ErrorCode says why
    EventRegistered = 53  #: answer to RequestRegisterAddress
    EventUnregistered = 54  #: answer to RequestUnregisterAddress
    EventRegisteredAll = 55  #: answer to RequestRegisterAll
    EventUnregisteredAll = 56  #: answer to RequestUnregisterAll
    EventQueued = 57  #: a call entered an ACD queue
    EventDiverted = 58  #: a call left a queue or routing point for a destination
    EventAbandoned = 59  #: a caller hung up before answer
    EventRinging = 60  #: a call is alerting on ThisDN
    EventDialing = 61  #: ThisDN is dialing OtherDN
    EventNetworkReached = 62  #: an outbound call reached the public network
    EventDestinationBusy = 63  #: the called party is busy
    EventEstablished = 64  #: ThisDN is connected in the call
    EventReleased = 65  #: ThisDN left the call
    EventHeld = 66  #: ThisDN put the call on hold
    EventRetrieved = 67  #: ThisDN took the call off hold
    EventPartyChanged = 68  #: a party of the call was replaced (transfer)
    EventPartyAdded = 69  #: a party joined the call (conference)
    EventPartyDeleted = 70  #: a party left a conference
    EventRouteRequest = 71  #: a call waits on a routing point for a route
    EventRouteUsed = 72  #: the routing point routed the call
    EventAgentLogin = 73  #: an agent logged in
    EventAgentLogout = 74  #: an agent logged out
    EventAgentReady = 75  #: an agent is ready
    EventAgentNotReady = 76  #: an agent is not ready
    EventDNDOn = 77  #: do not disturb is on
    EventDNDOff = 78  #: do not disturb is off
    EventMailBoxLogin = 79  #: (voice mail; not supported by ctiemu)
    EventMailBoxLogout = 80  #: (voice mail; not supported by ctiemu)
    EventVoiceFileOpened = 81  #: (voice files; not supported by ctiemu)
    EventVoiceFileClosed = 82  #: (voice files; not supported by ctiemu)
    EventVoiceFileEndPlay = 83  #: (voice files; not supported by ctiemu)
    EventDigitsCollected = 84  #: digits collected from a caller
    EventAttachedDataChanged = 85  #: the call's UserData changed
    EventOffHook = 86  #: ThisDN went off hook
    EventOnHook = 87  #: ThisDN went on hook
    EventForwardSet = 88  #: call forwarding set
    EventForwardCancel = 89  #: call forwarding cancelled
    EventMessageWaitingOn = 90  #: message waiting lamp on
    EventMessageWaitingOff = 91  #: message waiting lamp off
    EventAddressInfo = 92  #: answer to RequestQueryAddress
    EventServerInfo = 93  #: answer to RequestRegisterClient and RequestQueryServer
    EventLinkDisconnected = 94  #: the link to the switch went down
    EventLinkConnected = 95  #: the link to the switch came up
    EventUserEvent = 96  #: a user event distributed by another client

    RequestSendDTMF = 97  #: send DTMF digits on a call
    EventDTMFSent = 98  #: the digits were sent
    EventResourceAllocated = 99  #: (resource allocation)
    EventResourceFreed = 100  #: (resource allocation)
    EventRemoteConnectionSuccess = 101  #: (multi-site)
    EventRemoteConnectionFailed = 102  #: (multi-site)
    RequestRedirectCall = 103  #: redirect a ringing call to another DN
    RequestListenDisconnect = 104  #: stop a party listening
    RequestListenReconnect = 105  #: let a party listen again
    EventListenDisconnected = 106  #: answer to RequestListenDisconnect
    EventListenReconnected = 107  #: answer to RequestListenReconnect
    RequestQueryCall = 108  #: ask for EventPartyInfo about a call
    EventPartyInfo = 109  #: answer to RequestQueryCall
    RequestClearCall = 110  #: release every party of a call
    RequestSetCallInfo = 111  #: change call information
    EventCallInfoChanged = 112  #: call information changed
    RequestApplyTreatment = 113  #: apply a treatment to a call on a routing point
    EventTreatmentApplied = 114  #: a treatment started
    EventTreatmentNotApplied = 115  #: a treatment could not be applied
    EventTreatmentEnd = 116  #: a treatment ended
    EventHardwareError = 117  #: a hardware fault was reported
    EventAgentAfterCallWork = 118  #: an agent entered after-call work
    EventTreatmentRequired = 119  #: a treatment is required
    RequestSingleStepConference = 120  #: add a party to a call in one step
    RequestQuerySwitch = 121  #: ask for EventSwitchInfo
    EventSwitchInfo = 122  #: answer to RequestQuerySwitch
    RequestGetAccessNumber = 123  #: (multi-site)
    RequestCancelReqGetAccessNumber = 124  #: (multi-site)
    EventAnswerAccessNumber = 125  #: (multi-site)
    EventReqGetAccessNumberCanceled = 126  #: (multi-site)
    RequestReserveAgent = 127  #: reserve an agent
    EventAgentReserved = 128  #: answer to RequestReserveAgent
    RequestReserveAgentAndGetAccessNumber = 129  #: (multi-site)
    RequestAgentSetIdleReason = 130  #: set an agent's idle reason
    EventAgentIdleReasonSet = 131  #: answer to RequestAgentSetIdleReason
    EventRestoreConnection = 132  #: (hot standby)
    EventPrimaryChanged = 133  #: (hot standby)
    RequestLostBackupConnection = 134  #: (hot standby)
    RequestSetDNInfo = 135  #: (hot standby)
    RequestQueryLocation = 136  #: (multi-site)
    EventLocationInfo = 137  #: (multi-site)
    EventACK = 138  #: positive answer to a request with no event of its own
    RequestMonitorNextCall = 139  #: monitor the next call of a DN
    RequestCancelMonitoring = 140  #: cancel RequestMonitorNextCall
    EventMonitoringNextCall = 141  #: answer to RequestMonitorNextCall
    EventMonitoringCancelled = 142  #: answer to RequestCancelMonitoring
    RequestSetMuteOn = 143  #: mute a party
    RequestSetMuteOff = 144  #: unmute a party
    EventMuteOn = 145  #: a party was muted
    EventMuteOff = 146  #: a party was unmuted
    EventDNOutOfService = 147  #: a DN went out of service
    EventDNBackInService = 148  #: a DN came back in service
    RequestPrivateService = 149  #: a T-Server-specific service
    EventPrivateInfo = 150  #: answer to RequestPrivateService or unsolicited private event
    EventBridged = 151  #: a bridged call appearance

    # ctiemu's own (no T-Library number exists for these):
    KeepAliveProbe = 1000  #: either side asks "are you there?"; the other answers at once
    KeepAliveAnswer = 1001  #: the answer to KeepAliveProbe, with the probe's ReferenceID


class Attribute(IntEnum):
    """T-Library attribute numbers (TAttribute): the tags of the tag-type-length-value encoding."""

    ProtocolVersion = 0
    ErrorMessage = 1
    ReferenceID = 2
    CallID = 3
    NodeID = 4
    NetworkCallID = 5
    NetworkNodeID = 6
    TransferredNetworkCallID = 7
    TransferredNetworkNodeID = 8
    ConnID = 9
    PreviousConnID = 10
    TransferConnID = 11
    ConferenceConnID = 12
    CallState = 13
    AgentID = 14
    AgentStateReasonUnused = 15
    AgentWorkMode = 16
    Reasons = 17
    DNIS = 18
    ANI = 19
    ThisDN = 20
    ThisQueue = 21
    ThisTrunk = 22
    ThisDNRole = 23
    OtherDN = 24
    OtherQueue = 25
    OtherTrunk = 26
    OtherDNRole = 27
    ThirdPartyDN = 28
    ThirdPartyQueue = 29
    ThirdPartyTrunk = 30
    ThirdPartyDNRole = 31
    MusicPath = 32
    VoiceFileName = 33
    FileHandle = 34
    UserID = 35
    Password = 36
    VoiceSegment = 37
    VoiceIFlag = 38
    VoiceCFlag = 39
    NumberOfDigits = 40
    TerminateDigits = 41
    Timeout = 42
    CollectedDigits = 43
    LastDigit = 44
    InputMask = 45
    ErrorCode = 46
    AddressType = 47
    AddressMode = 48
    RegisterMode = 49
    ControlMode = 50
    UserData = 51
    DataKey = 52
    Extensions = 53
    CallType = 54
    CallingLineName = 55
    AddressInfoType = 56
    AddressInfoStatus = 57
    UserEvent = 58
    CommunicationDN = 59
    RouteType = 60
    ServerVersion = 61
    ServerRole = 62
    ServerCapabilityMask = 63
    ApplicationName = 64
    ApplicationPassword = 65
    MergeType = 66
    ForwardMode = 67
    DTMFDigits = 68
    Location = 69
    RemoteLocation = 70
    RemoteConnID = 71
    RemoteDN = 72
    MakeCallType = 73
    CallInfoType = 74
    HomeLocation = 75
    CustomerID = 76
    FirstTransferHomeLocation = 77
    FirstTransferOrigDN = 78
    LastTransferHomeLocation = 79
    LastTransferOrigDN = 80
    SetOperation = 81
    NewConnID = 82
    TreatmentType = 83
    TreatmentParms = 84
    CLID = 85
    TimeinSecs = 86
    TimeinuSecs = 87
    SwitchInfoType = 88
    XRouteType = 89
    AccessNumber = 90
    XReferenceID = 91
    Place = 92
    Priority = 93
    AgentIdleReason = 94
    RegistrationCode = 95
    DNSyncInfo = 96
    MediaType = 97
    LocationInfoType = 98
    OriginalConnID = 99
    ConsultType = 100
    MonitorNextCallType = 101
    ClientID = 102
    ProtocolID = 103
    PreviousCallID = 104
    PrivateMsgID = 105
    FirstTransferConnID = 106
    LastTransferConnID = 107
    SessionID = 108
    Host = 109
    Port = 110
    DBID = 111
    OtherDBID = 112
    ThirdPartyDBID = 113
    Cause = 114
    DN = 115
    DialedNumber = 116
    OriginConnID = 117
    RefConnID = 118
    Reliability = 119
    TimeStamp = 120
    SwitchTime = 121
    PartyID = 122
    PartyType = 123
    PartyState = 124
    RefParty = 125
    CtrlParty = 126
    RemoteLoc = 127
    RemoteParty = 128
    Device = 129
    UpdateRevision = 132
    ReturnReceipt = 133
    ReturnReceiptDN = 134
    ServerXCapabilities = 135
    NetworkCallState = 136
    NetworkDestState = 137
    NetworkPartyRole = 138
    NetworkOrigDN = 139
    NetworkDestDN = 140
    CallUUID = 141
    NewCallUUID = 142
    OrigCallUUID = 143
    RefCallUUID = 144
    PartyUUID = 145
    ISLinkList = 146
    ServerStartTime = 147
    EventSequenceNumber = 148


class ValueType(IntEnum):
    """How an attribute's (or a KVList pair's) value bytes are encoded on the wire."""

    Int = 1  #: signed 64-bit integer, big-endian two's complement (8 bytes)
    String = 2  #: UTF-8 text, no terminator
    ConnID = 3  #: unsigned 64-bit connection id, big-endian (8 bytes)
    KVList = 4  #: u32 pair count, then the pairs (see docs/protocol.md)
    Binary = 5  #: opaque bytes


class CallType(IntEnum):
    """Where a call comes from or goes to (TCallType)."""

    Unknown = 0  #: not known
    Internal = 1  #: between two DNs of this switch
    Inbound = 2  #: from the outside world through a trunk
    Outbound = 3  #: to the outside world through a trunk
    Consult = 4  #: a consultation call made while another call is held


class CallState(IntEnum):
    """Why a call or party is in the state reported (TCallState)."""

    Ok = 0  #: normal
    Transferred = 1  #: the call was transferred
    Conferenced = 2  #: the call was conferenced
    GeneralError = 3  #: a general error
    SystemError = 4  #: a system error
    RemoteRelease = 5  #: the other side released
    Busy = 6  #: the called party was busy
    NoAnswer = 7  #: the called party did not answer
    SitDetected = 8  #: a special information tone was detected
    AnsweringMachineDetected = 9  #: an answering machine answered
    AllTrunksBusy = 10  #: no trunk was free
    SitInvalidNum = 11  #: SIT: invalid number
    SitVacant = 12  #: SIT: vacant code
    SitOperIntercept = 13  #: SIT: operator intercept
    SitUnknown = 14  #: SIT of unknown kind
    SitNoCircuit = 15  #: SIT: no circuit
    SitReorder = 16  #: SIT: reorder
    FaxDetected = 17  #: a fax answered
    QueueFull = 18  #: the queue was full
    Cleared = 19  #: the call was cleared
    Overflowed = 20  #: the call overflowed
    Abandoned = 21  #: the caller abandoned
    Redirected = 22  #: the call was redirected
    Forwarded = 23  #: the call was forwarded
    Consult = 24  #: a consultation call
    Pickedup = 25  #: the call was picked up
    Dropped = 26  #: the call was dropped
    DroppedNoAnswer = 27  #: dropped after no answer
    Unknown = 28  #: unknown
    Covered = 29  #: covered
    ConverseOn = 30  #: converse-on
    Bridged = 31  #: bridged
    Deafened = 49  #: deafened
    Held = 50  #: held


class DNRole(IntEnum):
    """The part a DN plays in a call (TDNRole)."""

    Unknown = 0  #: not known
    Origination = 1  #: the calling party
    Destination = 2  #: the called party
    ConferenceMember = 3  #: a member of a conference
    NewParty = 4  #: a party added by a transfer or conference
    AddedBy = 5  #: the party that added another
    DeletedBy = 6  #: the party that deleted another
    TransferredBy = 7  #: the party that transferred the call
    DeletedParty = 8  #: the party deleted from a conference
    ConferencedBy = 9  #: the party that made the conference
    Observer = 10  #: an observer


class AgentWorkMode(IntEnum):
    """An agent's work mode (TAgentWorkMode)."""

    Unknown = 0  #: not specified
    ManualIn = 1  #: ready, answering manually
    AutoIn = 2  #: ready, calls delivered automatically
    AfterCallWork = 3  #: wrapping up the last call
    AuxWork = 4  #: auxiliary work
    NoCallDisconnect = 5  #: no call disconnect
    WalkAway = 6  #: walked away
    ReturnBack = 7  #: returned


class RegisterMode(IntEnum):
    """How a client registers a DN (TRegisterMode)."""

    Share = 0  #: receive the DN's events and control it; others may too
    Private = 1  #: exclusive: no other client may register the DN meanwhile
    Monitor = 2  #: receive the DN's events, send no requests for it


class ControlMode(IntEnum):
    """Whether registration is passed to the switch (TControlMode)."""

    RegisterDefault = 0  #: as configured
    RegisterForce = 1  #: always pass to the switch
    RegisterLocal = 2  #: never pass to the switch


class AddressType(IntEnum):
    """What kind of switch object a DN is (TAddressType)."""

    Unknown = 0  #: not specified
    DN = 1  #: an extension
    Position = 2  #: an ACD position
    Queue = 3  #: an ACD queue
    RouteDN = 4  #: a routing point
    Trunk = 5  #: a trunk
    VoiceChannel = 6  #: a voice channel
    DataChannel = 7  #: a data channel
    Announcement = 8  #: an announcement
    ASAI = 9  #: an ASAI link
    ACDGroup = 10  #: an ACD group
    VSP = 11  #: a VSP
    RouteQueue = 12  #: a routing point that is also a queue
    AgentID = 13  #: an agent id (not a real address)
    Other = 99  #: other


class MakeCallType(IntEnum):
    """How RequestMakeCall places the call (TMakeCallType)."""

    Regular = 0  #: an ordinary call
    DirectAgent = 1  #: to a specific agent
    SupervisorAssist = 2  #: to a supervisor for assistance
    Priority = 3  #: with priority
    DirectPriority = 4  #: to a specific agent, with priority


class AgentType(IntEnum):
    """Kind of agent logging in (TAgentType)."""

    Agent = 0  #: an agent
    Supervisor = 1  #: a supervisor


class ServerRole(IntEnum):
    """Role of a T-Server in a redundant pair (TServerRole)."""

    Primary = 0  #: the primary server
    Backup = 1  #: the backup server


class AddressInfoType(IntEnum):
    """What RequestQueryAddress asks about (TAddressInfoType)."""

    AddressStatus = 0  #: the DN's state
    MessageWaitingStatus = 1  #: message waiting lamp
    AssociationStatus = 2  #: association with this session
    CallForwardingStatus = 3  #: forwarding
    AgentStatus = 4  #: the agent's state
    NumberOfAgentsInQueue = 5  #: agents logged in to a queue
    NumberOfAvailableAgentsInQueue = 6  #: agents ready in a queue
    NumberOfCallsInQueue = 7  #: calls waiting in a queue
    AddressType = 8  #: the kind of DN
    CallsQuery = 9  #: the DN's calls
    SendAllCallsStatus = 10  #: send-all-calls
    QueueLoginAudit = 11  #: agents logged in to a queue, listed
    NumberOfIdleClassifiers = 12  #: (obsolete)
    NumberOfClassifiersInUse = 13  #: (obsolete)
    NumberOfIdleTrunks = 14  #: idle trunks
    NumberOfTrunksInUse = 15  #: busy trunks
    DatabaseValue = 16  #: a database value
    DNStatus = 17  #: the DN's status
    QueueStatus = 18  #: the queue's status


class AddressStatus(IntEnum):
    """A DN's state as EventAddressInfo reports it (AddressStatusInfoType)."""

    Idle = 0  #: no call
    Origination = 1  #: originating
    Dialing = 2  #: dialing
    Talking = 3  #: in a call
    Ringing = 4  #: ringing
    Held = 5  #: holding a call
    Treatment = 6  #: receiving a treatment
    LockedOut = 7  #: locked out
    Maintenance = 8  #: in maintenance
    Available = 9  #: available
    Vacant = 10  #: vacant


class ForwardMode(IntEnum):
    """When calls to a DN are forwarded (TForwardMode)."""

    NoForward = 0  #: none
    Unconditional = 1  #: always
    OnBusy = 2  #: when busy
    OnNoAnswer = 3  #: when not answered
    OnBusyAndNoAnswer = 4  #: when busy or not answered
    SendAllCalls = 5  #: send all calls


class MergeType(IntEnum):
    """What RequestMergeCalls merges for (TMergeType)."""

    ForTransfer = 0  #: a transfer
    ForConference = 1  #: a conference


class RouteType(IntEnum):
    """How RequestRouteCall routes (TRouteType)."""

    Unknown = 0  #: not specified
    Default = 1  #: to the default destination
    Label = 2  #: to a label
    OverwriteDNIS = 3  #: replace DNIS
    DDD = 4  #: direct distance dialing
    IDDD = 5  #: international direct distance dialing
    Direct = 6  #: directly to OtherDN
    Reject = 7  #: reject the call
    Announcement = 8  #: play an announcement
    PostFeature = 9  #: post feature
    DirectAgent = 10  #: to an agent
    Priority = 11  #: with priority
    DirectPriority = 12  #: to an agent, with priority
    AgentID = 13  #: OtherDN is an AgentID
    CallDisconnect = 14  #: disconnect (re-route)


class TreatmentType(IntEnum):
    """Treatments RequestApplyTreatment can give (TTreatmentType)."""

    Unknown = 0  #: not specified
    IVR = 1  #: an IVR
    Music = 2  #: music
    RingBack = 3  #: ringback
    Silence = 4  #: silence
    Busy = 5  #: busy tone
    CollectDigits = 6  #: collect digits
    PlayAnnouncement = 7  #: play an announcement
    PlayAnnouncementAndDigits = 8  #: play an announcement and collect digits
    VerifyDigits = 9  #: verify digits
    RecordUserAnnouncement = 10  #: record an announcement
    DeleteUserAnnouncement = 11  #: delete an announcement
    CancelCall = 12  #: cancel the call
    PlayApplication = 13  #: play an application
    SetDefaultRoute = 14  #: set the default route
    TextToSpeech = 15  #: text to speech
    TextToSpeechAndDigits = 16  #: text to speech and collect digits
    FastBusy = 17  #: fast busy (reorder)
    RAN = 18  #: recorded announcement


class MediaType(IntEnum):
    """The interaction's media (TMediaType)."""

    Voice = 0  #: voice (PSTN)
    VoIP = 1  #: voice over IP
    EMail = 2  #: e-mail
    VMail = 3  #: voice mail
    SMail = 4  #: scanned mail
    Chat = 5  #: chat
    Video = 6  #: video
    Cobrowsing = 7  #: co-browsing
    Whiteboard = 8  #: whiteboard
    AppSharing = 9  #: application sharing
    WebForm = 10  #: web form
    WorkItem = 11  #: work item


class MonitorNextCallType(IntEnum):
    """How many calls RequestMonitorNextCall covers (TMonitorNextCallType)."""

    OneCall = 0  #: the next call only
    AllCalls = 1  #: every call until cancelled


class SimService(IntEnum):
    """PrivateMsgID values of ctiemu's simulation control (RequestPrivateService). Parameters
    travel in UserData, a call in the request's ConnID; docs/protocol.md lists them."""

    Inbound = 9001  #: a caller dials in: TrunkGroup, ANI, DNIS, [UserData], [Patience]
    Answer = 9002  #: the far end of ConnID answers: [Kind person|machine|fax|modem], [Talk]
    Busy = 9003  #: the far end of ConnID is busy
    HangUp = 9004  #: the far end of ConnID hangs up
    Digits = 9005  #: the far end of ConnID presses Digits
    TrunkDown = 9006  #: TrunkGroup's link fails
    TrunkUp = 9007  #: TrunkGroup's link comes back
    OutOfService = 9008  #: ThisDN goes out of service
    BackInService = 9009  #: ThisDN comes back in service
    Trace = 9010  #: frame trace of session Session (default: this one) On 1 / 0
