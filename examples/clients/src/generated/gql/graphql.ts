/* eslint-disable */
import { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** Date (isoformat) */
  Date: { input: any; output: any; }
  /** Date with time (isoformat) */
  DateTime: { input: any; output: any; }
  /** A series of numbers, one per video frame (or one value for a single measurement), serialized as one JSON array. A missing value is `null`. */
  FloatSeries: { input: any; output: any; }
  /** Represents a file upload. */
  Upload: { input: any; output: any; }
};

/** The sport a session analyses. */
export enum Activity {
  Jumping = 'JUMPING',
  Running = 'RUNNING',
  Weightlifting = 'WEIGHTLIFTING'
}

/** An image of the report, in one language. */
export type AnalysisImage = {
  __typename?: 'AnalysisImage';
  /** The language of the image's labels: the one asked for, or a fallback. */
  language: Language;
  /** What the image shows, e.g. `bar_path`. */
  name: Scalars['String']['output'];
  /** The image's public URL. */
  url: Scalars['String']['output'];
};

/** The analyzed video: the original with the analysis drawn over it. */
export type AnalyzedVideo = {
  __typename?: 'AnalyzedVideo';
  /** PROCESSING until the video is ready. */
  status: VideoStatus;
  /** The video's public URL, once READY. */
  url?: Maybe<Scalars['String']['output']>;
};

/** A change in a session's analyzed video. */
export type AnalyzedVideoEvent = {
  __typename?: 'AnalyzedVideoEvent';
  /** The session's global id. */
  id: Scalars['ID']['output'];
  /** The session itself, so that a normalized client cache (Apollo, urql's graphcache) updates the session it holds. `id` and `analyzedVideo` come from this event and cost no upstream call; other fields are fetched. */
  session: Session;
  /** The upstream's session id. */
  sessionId: Scalars['String']['output'];
  /** The video's status now. */
  status: VideoStatus;
  /** The analyzed video's URL, once READY. */
  url?: Maybe<Scalars['String']['output']>;
};

/** The athlete's profile as the report states it. */
export type Athlete = {
  __typename?: 'Athlete';
  /** Age in years. */
  age?: Maybe<Scalars['Int']['output']>;
  /** E-mail address, when the report has it. */
  email?: Maybe<Scalars['String']['output']>;
  /** Gender, as the athlete gave it. */
  gender?: Maybe<Scalars['String']['output']>;
  /** Height in centimeters. */
  heightCm?: Maybe<Scalars['Float']['output']>;
  /** Full name. */
  name?: Maybe<Scalars['String']['output']>;
  /** Weight in kilograms. */
  weightKg?: Maybe<Scalars['Float']['output']>;
};

/** Settings of a new jumping session. */
export type CreateJumpingSessionInput = {
  /** The session's title; the upstream picks one (activity, date, time) when omitted. */
  title?: InputMaybe<Scalars['String']['input']>;
};

/** Settings of a new running session. */
export type CreateRunningSessionInput = {
  /** The treadmill's incline in degrees, from -45 to 45; omit for level ground. */
  inclineDegrees?: InputMaybe<Scalars['Float']['input']>;
  /** The session's title; the upstream picks one (activity, date, time) when omitted. */
  title?: InputMaybe<Scalars['String']['input']>;
};

/** The new session's activity with its settings: set exactly one field. */
export type CreateSessionInput =
  /** A vertical-jump session. */
  { jumping: CreateJumpingSessionInput; running?: never; weightlifting?: never; }
  |  /** A running session. */
  { jumping?: never; running: CreateRunningSessionInput; weightlifting?: never; }
  |  /** A weightlifting session. */
  { jumping?: never; running?: never; weightlifting: CreateWeightliftingSessionInput; };

/** Settings of a new weightlifting session. */
export type CreateWeightliftingSessionInput = {
  /** The barbell's mass, more than 0 and at most 1000, in the athlete's unit (kg unless their account uses lb). The upstream assumes 100 kg when omitted. */
  barbellMass?: InputMaybe<Scalars['Float']['input']>;
  /** The lift: one of `snatch`, `clean`, `clean_and_jerk`. */
  exercise: Scalars['String']['input'];
  /** The session's title; the upstream picks one (activity, date, time) when omitted. */
  title?: InputMaybe<Scalars['String']['input']>;
};

/** A range of video frames: from `start` (inclusive) to `end` (exclusive). */
export type FrameRangeInput = {
  /** Frame after the last one. */
  end?: InputMaybe<Scalars['Int']['input']>;
  /** First frame, from 0. */
  start?: InputMaybe<Scalars['Int']['input']>;
};

/** The gait analysis report: phases, peak time and joint angles. */
export type GaitAnalysis = {
  __typename?: 'GaitAnalysis';
  /** Angle curves per joint. They are sampled over one stride, not per video frame, so they take no frame range. */
  angles: Array<GaitAngle>;
  /** The athlete the report is about. */
  athlete?: Maybe<Athlete>;
  /** The report's date. */
  date?: Maybe<Scalars['Date']['output']>;
  /** The peak time the analysis found. */
  peakTime?: Maybe<Scalars['Float']['output']>;
  /** The stride's phases (`takeoff`, `flight`) with their frames. */
  phases: Array<ReportPhase>;
};


/** The gait analysis report: phases, peak time and joint angles. */
export type GaitAnalysisAnglesArgs = {
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};

/** A joint angle over one stride, with the next stride and spread. */
export type GaitAngle = {
  __typename?: 'GaitAngle';
  /** The measured stride, in degrees. */
  current?: Maybe<Scalars['FloatSeries']['output']>;
  /** The angle, e.g. `lkne_angle` (left knee). */
  name: Scalars['String']['output'];
  /** The following stride, in degrees. */
  next?: Maybe<Scalars['FloatSeries']['output']>;
  /** The standard deviation over strides, in degrees. */
  stdDev?: Maybe<Scalars['FloatSeries']['output']>;
};

/** The vertical-jump analysis report: graph curves per jump, the phases of the movement with their frames and images, and feedback. */
export type JumpAnalysis = {
  __typename?: 'JumpAnalysis';
  /** The athlete the report is about. */
  athlete?: Maybe<Athlete>;
  /** Feedback per topic, e.g. `power` and `grf`. */
  comments: Array<NamedText>;
  /** Curves per metric and jump. These are sampled over each jump's time (see `times`), not per video frame, so they take no frame range. */
  graphs: Array<JumpGraph>;
  /** The last video frame the analysis covers. */
  maxFrame?: Maybe<Scalars['Int']['output']>;
  /** The first video frame the analysis covers. */
  minFrame?: Maybe<Scalars['Int']['output']>;
  /** The phases of the jump, from preparation to recuperation. */
  phases: Array<ReportPhase>;
  /** The day the session took place. */
  sessionDate?: Maybe<Scalars['Date']['output']>;
};


/** The vertical-jump analysis report: graph curves per jump, the phases of the movement with their frames and images, and feedback. */
export type JumpAnalysisGraphsArgs = {
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};

/** One jump's curve of a metric. */
export type JumpCurve = {
  __typename?: 'JumpCurve';
  /** Which jump, e.g. `jump_1`. */
  jump: Scalars['String']['output'];
  /** Seconds since the jump's start. */
  times?: Maybe<Scalars['FloatSeries']['output']>;
  /** The metric at each time. */
  values?: Maybe<Scalars['FloatSeries']['output']>;
};

/** A metric's curves over the jumps, for the report's graphs. */
export type JumpGraph = {
  __typename?: 'JumpGraph';
  /** One curve per jump. */
  jumps: Array<JumpCurve>;
  /** The metric, e.g. `hipy` (hip height) or `grf`. */
  metric: Scalars['String']['output'];
};

/** The jump session's summary: metrics per jump and short ratings. */
export type JumpSummary = {
  __typename?: 'JumpSummary';
  /** The athlete the summary is about. */
  athlete?: Maybe<Athlete>;
  /** When the session was created (ISO-8601, UTC). */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** Metrics, one value per jump (e.g. `jump_height`). */
  metrics: Array<Metric>;
  /** Short ratings per aspect, e.g. `power`: `Average`. */
  ratings: Array<NamedText>;
};


/** The jump session's summary: metrics per jump and short ratings. */
export type JumpSummaryMetricsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};

/** A vertical-jump session. */
export type JumpingSession = Node & Session & {
  __typename?: 'JumpingSession';
  /** The sport this session analyses. */
  activity: Activity;
  /** The analyzed video and its status. Free when the session's payload holds the URL; otherwise one call to the analyzed-video endpoint, which alone can tell PROCESSING from FAILED. */
  analyzedVideo: AnalyzedVideo;
  /** Joint angles in degrees; a single number is a one-value series. */
  angles: Array<Series>;
  /** When the session was created (ISO-8601; the upstream's time is taken as UTC). */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** The frame at which each jump segment ends. */
  endFrames?: Maybe<Array<Scalars['Int']['output']>>;
  /** The session's full export (keypoints and more): one more upstream call, made only when one of its fields is selected. */
  export: SessionExport;
  /** Opaque global id: encodes the activity and the upstream id. */
  id: Scalars['ID']['output'];
  /** The jump analysis report: graph curves per jump, the phases with their frames and images, the analysed frame range, and feedback. One upstream call, made only when selected. */
  jumpAnalysis?: Maybe<JumpAnalysis>;
  /** The session's performance metrics, in whatever form sent. */
  metrics: Array<Metric>;
  /** The upstream coaching assistant's threads, one per metric (`hip_height`, `power`, ...); asking creates them upstream when there are none. One upstream call, made only when selected. */
  recommendationThreads?: Maybe<Array<RecommendationThread>>;
  /** The upstream's own session id. */
  sessionId: Scalars['String']['output'];
  /** The session's summary: metrics per jump and short ratings. One upstream call, made only when selected. */
  summary?: Maybe<JumpSummary>;
  /** The time of each analysed frame, in seconds. */
  timestamps?: Maybe<Scalars['FloatSeries']['output']>;
  /** The session's title. */
  title?: Maybe<Scalars['String']['output']>;
  /** The name of the athlete the session belongs to. */
  userName?: Maybe<Scalars['String']['output']>;
  /** The URL of the original uploaded video. */
  videoUrl?: Maybe<Scalars['String']['output']>;
  /** The report's per-frame curves: hip height (`hipy`), ground reaction force (`grf`), hip speed (`vhipy`), toe height (`toey`) and more. */
  wholeReportMetrics: Array<Series>;
};


/** A vertical-jump session. */
export type JumpingSessionAnglesArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** A vertical-jump session. */
export type JumpingSessionMetricsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** A vertical-jump session. */
export type JumpingSessionTimestampsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
};


/** A vertical-jump session. */
export type JumpingSessionWholeReportMetricsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};

/** A language the upstream writes its reports in: English or Russian. */
export enum Language {
  En = 'EN',
  Ru = 'RU'
}

/** A named text in one language: the one asked for, or a fallback. */
export type LocalizedText = {
  __typename?: 'LocalizedText';
  /** The language of `text`. */
  language: Language;
  /** The text's upstream key, e.g. `text_bar_speed`. */
  name: Scalars['String']['output'];
  /** The text. */
  text: Scalars['String']['output'];
};

/** A measurement. The upstream sends a single number, a per-frame array or `{avg, min, max}`; whichever it sent is here, and arrays also get their average, minimum and maximum. */
export type Metric = {
  __typename?: 'Metric';
  /** Average. */
  avg?: Maybe<Scalars['Float']['output']>;
  /** Maximum. */
  max?: Maybe<Scalars['Float']['output']>;
  /** Minimum. */
  min?: Maybe<Scalars['Float']['output']>;
  /** The metric's upstream name, e.g. `max_bar_speed`. */
  name: Scalars['String']['output'];
  /** The value, when it is a single number. */
  value?: Maybe<Scalars['Float']['output']>;
  /** The per-frame values, if any. */
  values?: Maybe<Scalars['FloatSeries']['output']>;
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Upload a video and create a session from it. Send the request with the GraphQL multipart request spec: the file goes in a form part that the `map` points at `variables.video`. The video is streamed to the upstream, which then analyses it; the session is listed at once. */
  createSession: Session;
  /** Delete all of a running session's report comments. */
  deleteReportComments: RunningSession;
  /** Delete a session and everything about it. Answers its global id. */
  deleteSession: Scalars['ID']['output'];
  /** Ask the upstream to generate the session's analyzed video. Answers its status at once (READY if it already exists); subscribe to `analyzedVideo` to learn when it is ready. */
  requestAnalyzedVideo: AnalyzedVideo;
  /** Set a running session's report comments. Each named comment gets the languages given; a language left out keeps its current text, and comments not named are left as they are. */
  updateReportComments: RunningSession;
  /** Change a session's title or creation time (at least one). Answers the session as it is afterwards. */
  updateSession: Session;
};


export type MutationCreateSessionArgs = {
  input: CreateSessionInput;
  video?: InputMaybe<Scalars['Upload']['input']>;
};


export type MutationDeleteReportCommentsArgs = {
  activity?: InputMaybe<Activity>;
  id: Scalars['ID']['input'];
};


export type MutationDeleteSessionArgs = {
  activity?: InputMaybe<Activity>;
  id: Scalars['ID']['input'];
};


export type MutationRequestAnalyzedVideoArgs = {
  activity?: InputMaybe<Activity>;
  id: Scalars['ID']['input'];
};


export type MutationUpdateReportCommentsArgs = {
  activity?: InputMaybe<Activity>;
  comments: Array<ReportCommentInput>;
  id: Scalars['ID']['input'];
};


export type MutationUpdateSessionArgs = {
  activity?: InputMaybe<Activity>;
  createdAt?: InputMaybe<Scalars['DateTime']['input']>;
  id: Scalars['ID']['input'];
  title?: InputMaybe<Scalars['String']['input']>;
};

/** A short named text, e.g. a feedback comment on one metric. */
export type NamedText = {
  __typename?: 'NamedText';
  /** What the text is about, e.g. `power`. */
  name: Scalars['String']['output'];
  /** The text. */
  text: Scalars['String']['output'];
};

/** An object with a globally unique id (Relay). */
export type Node = {
  /** An opaque id, unique across all types. */
  id: Scalars['ID']['output'];
};

/** Where a page stands in the whole list (Relay). */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** The cursor of the last edge. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** More sessions follow this page. */
  hasNextPage: Scalars['Boolean']['output'];
  /** Sessions come before this page. */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** The cursor of the first edge. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

export type Query = {
  __typename?: 'Query';
  /** Any object by its global id (Relay). */
  node?: Maybe<Node>;
  /** Several objects by global id, fetched concurrently. One that fails is null, with its error; the others are returned. */
  nodes: Array<Maybe<Node>>;
  /** Totals over all the caller's running sessions: averages, and the newest session's statistics. Null when the caller has no running session. */
  runningTotals?: Maybe<RunningTotals>;
  /** One session, by global id or by upstream id and activity. */
  session?: Maybe<Session>;
  /** The caller's sessions, newest first, as a Relay connection. Filters narrow the list; `first`/`after` page forward, `last`/`before` back. */
  sessions: SessionConnection;
};


export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


export type QueryNodesArgs = {
  ids: Array<Scalars['ID']['input']>;
};


export type QuerySessionArgs = {
  activity?: InputMaybe<Activity>;
  id: Scalars['ID']['input'];
};


export type QuerySessionsArgs = {
  activity?: InputMaybe<Activity>;
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  from?: InputMaybe<Scalars['Date']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  title?: InputMaybe<Scalars['String']['input']>;
  to?: InputMaybe<Scalars['Date']['input']>;
};

/** A thread of the upstream's coaching assistant about one metric. */
export type RecommendationThread = {
  __typename?: 'RecommendationThread';
  /** The metric it is about, e.g. `hip_height`. */
  metric: Scalars['String']['output'];
  /** The thread's upstream id. */
  threadId: Scalars['String']['output'];
};

/** A running report comment, in both languages. */
export type ReportComment = {
  __typename?: 'ReportComment';
  /** The comment in English. */
  en?: Maybe<Scalars['String']['output']>;
  /** The comment's key, e.g. `text_summary` or `text_contact_angle`. */
  name: Scalars['String']['output'];
  /** The comment in Russian. */
  ru?: Maybe<Scalars['String']['output']>;
};

/** A report comment to set, in one or both languages. */
export type ReportCommentInput = {
  /** The English text; omit to keep the current one. */
  en?: InputMaybe<Scalars['String']['input']>;
  /** The comment's key, e.g. `text_summary` or `text_contact_angle`. */
  name: Scalars['String']['input'];
  /** The Russian text; omit to keep the current one. */
  ru?: InputMaybe<Scalars['String']['input']>;
};

/** A moment of the movement, with where it is in the video. */
export type ReportPhase = {
  __typename?: 'ReportPhase';
  /** Where the phase sits on the report's graphs (the upstream's graph units). */
  graphPhase?: Maybe<Scalars['Int']['output']>;
  /** A still image of the phase. */
  imageUrl?: Maybe<Scalars['String']['output']>;
  /** The phase, e.g. `takeoff` or `landing`. */
  name: Scalars['String']['output'];
  /** The video frame it happens at. */
  videoFrame?: Maybe<Scalars['Int']['output']>;
  /** Running only: the phase value as seen in the video. */
  videoPhase?: Maybe<Scalars['Int']['output']>;
};

/** A running session. */
export type RunningSession = Node & Session & {
  __typename?: 'RunningSession';
  /** The sport this session analyses. */
  activity: Activity;
  /** The analyzed video and its status. Free when the session's payload holds the URL; otherwise one call to the analyzed-video endpoint, which alone can tell PROCESSING from FAILED. */
  analyzedVideo: AnalyzedVideo;
  /** Joint angles in degrees; a single number is a one-value series. */
  angles: Array<Series>;
  /** Statistics computed over the run (speed, cadence, total distance and time): a number or `{avg, min, max}` per metric. */
  calculatedMetrics: Array<Metric>;
  /** When the session was created (ISO-8601; the upstream's time is taken as UTC). */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** The session's full export (keypoints and more): one more upstream call, made only when one of its fields is selected. */
  export: SessionExport;
  /**
   * Form analysis images: contact angles, push angles, knee-ankle alignment.
   * @deprecated The upstream deprecated its form-analysis endpoint, and offers no newer one for these images; they may go away with it.
   */
  formAnalysisImages?: Maybe<Array<AnalysisImage>>;
  /** The gait analysis report: stride phases with their frames and images, peak time and joint angles over a stride. One upstream call, made only when selected. */
  gaitAnalysis?: Maybe<GaitAnalysis>;
  /** Opaque global id: encodes the activity and the upstream id. */
  id: Scalars['ID']['output'];
  /** The session's performance metrics, in whatever form sent. */
  metrics: Array<Metric>;
  /** The report's comments (summary, contact angle, push angle, ...) in English and Russian; null when the session has none. Change them with `updateReportComments` and `deleteReportComments`. */
  reportComments?: Maybe<Array<ReportComment>>;
  /**
   * Report images: hip, knee and ankle angles, and positions.
   * @deprecated The upstream deprecated its report-images endpoint, and offers no newer one for these images; they may go away with it.
   */
  reportImages?: Maybe<Array<AnalysisImage>>;
  /** How many segments (strides) were analysed. */
  segments?: Maybe<Scalars['Int']['output']>;
  /** The upstream's own session id. */
  sessionId: Scalars['String']['output'];
  /** The session's written summary, when there is one. */
  summary?: Maybe<Scalars['String']['output']>;
  /**
   * A generated written summary of the run, in the language asked for.
   * @deprecated The upstream deprecated its summary endpoint. Use `summary`, or the `text_summary` entry of `reportComments`.
   */
  summaryReport?: Maybe<LocalizedText>;
  /** The time of each analysed frame, in seconds. */
  timestamps?: Maybe<Scalars['FloatSeries']['output']>;
  /** The session's title. */
  title?: Maybe<Scalars['String']['output']>;
  /** The name of the athlete the session belongs to. */
  userName?: Maybe<Scalars['String']['output']>;
  /** The URL of the original uploaded video. */
  videoUrl?: Maybe<Scalars['String']['output']>;
};


/** A running session. */
export type RunningSessionAnglesArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** A running session. */
export type RunningSessionCalculatedMetricsArgs = {
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** A running session. */
export type RunningSessionFormAnalysisImagesArgs = {
  language?: Language;
};


/** A running session. */
export type RunningSessionMetricsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** A running session. */
export type RunningSessionReportImagesArgs = {
  language?: Language;
};


/** A running session. */
export type RunningSessionSummaryReportArgs = {
  language?: Language;
};


/** A running session. */
export type RunningSessionTimestampsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
};

/** Running totals over all the caller's running sessions. */
export type RunningTotals = {
  __typename?: 'RunningTotals';
  /** Averages over all running sessions: `avg_speed`, `avg_power`, ... */
  averages: Array<Metric>;
  /** The newest running session's statistics: `{avg, min, max}` per metric, and single numbers such as `total_distance` and `total_time`. */
  lastSession: Array<Metric>;
  /** When the newest running session was created (ISO-8601, UTC). */
  lastSessionCreatedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The newest running session's foot strike, e.g. `midfoot`. */
  lastSessionFootstrike?: Maybe<Scalars['String']['output']>;
};


/** Running totals over all the caller's running sessions. */
export type RunningTotalsAveragesArgs = {
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** Running totals over all the caller's running sessions. */
export type RunningTotalsLastSessionArgs = {
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};

/** A named series of numbers, one per video frame. */
export type Series = {
  __typename?: 'Series';
  /** The series' upstream name, e.g. `lkne_angle`. */
  name: Scalars['String']['output'];
  /** The values, one per frame. */
  values: Scalars['FloatSeries']['output'];
};

/** A recorded and analysed video session of one athlete. Fields that the session listing already carries (title, user, dates, video URLs) cost no further upstream call. */
export type Session = {
  /** The sport this session analyses. */
  activity: Activity;
  /** The analyzed video and its status. Free when the session's payload holds the URL; otherwise one call to the analyzed-video endpoint, which alone can tell PROCESSING from FAILED. */
  analyzedVideo: AnalyzedVideo;
  /** Joint angles in degrees; a single number is a one-value series. */
  angles: Array<Series>;
  /** When the session was created (ISO-8601; the upstream's time is taken as UTC). */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** The session's full export (keypoints and more): one more upstream call, made only when one of its fields is selected. */
  export: SessionExport;
  /** Opaque global id: encodes the activity and the upstream id. */
  id: Scalars['ID']['output'];
  /** The session's performance metrics, in whatever form sent. */
  metrics: Array<Metric>;
  /** The upstream's own session id. */
  sessionId: Scalars['String']['output'];
  /** The time of each analysed frame, in seconds. */
  timestamps?: Maybe<Scalars['FloatSeries']['output']>;
  /** The session's title. */
  title?: Maybe<Scalars['String']['output']>;
  /** The name of the athlete the session belongs to. */
  userName?: Maybe<Scalars['String']['output']>;
  /** The URL of the original uploaded video. */
  videoUrl?: Maybe<Scalars['String']['output']>;
};


/** A recorded and analysed video session of one athlete. Fields that the session listing already carries (title, user, dates, video URLs) cost no further upstream call. */
export type SessionAnglesArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** A recorded and analysed video session of one athlete. Fields that the session listing already carries (title, user, dates, video URLs) cost no further upstream call. */
export type SessionMetricsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** A recorded and analysed video session of one athlete. Fields that the session listing already carries (title, user, dates, video URLs) cost no further upstream call. */
export type SessionTimestampsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
};

/** A page of sessions (Relay connection), newest first. */
export type SessionConnection = {
  __typename?: 'SessionConnection';
  /** The sessions of this page, each with its cursor. */
  edges: Array<SessionEdge>;
  /** The sessions of this page, without cursors. */
  nodes: Array<Maybe<Session>>;
  /** Where this page stands. */
  pageInfo: PageInfo;
  /** How many sessions match, over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** A session in a list, with its cursor. */
export type SessionEdge = {
  __typename?: 'SessionEdge';
  /** Pass to `after` or `before` to page from this session. */
  cursor: Scalars['String']['output'];
  /** The session. Null, with an error, if the upstream sent one it can't type. */
  node?: Maybe<Session>;
};

/** Everything the session's export holds: keypoints per landmark and axis, angles, timestamps and metrics. Costs one more upstream call, made only when a field of it is selected. */
export type SessionExport = {
  __typename?: 'SessionExport';
  /** Joint angles in degrees, one series per angle. */
  angles: Array<Series>;
  /** Running only: whether a foot touches the ground, per frame. */
  contact?: Maybe<Array<Scalars['Boolean']['output']>>;
  /** Keypoint series, one per landmark and axis: e.g. `lknev` is the left knee's visibility, `rshox` the right shoulder's x. All the upstream sends, which is more than its documentation lists. */
  keypoints: Array<Series>;
  /** The export's metrics. */
  metrics: Array<Metric>;
  /** The time of each frame, in the upstream's unit (seconds). */
  timestamps?: Maybe<Scalars['FloatSeries']['output']>;
};


/** Everything the session's export holds: keypoints per landmark and axis, angles, timestamps and metrics. Costs one more upstream call, made only when a field of it is selected. */
export type SessionExportAnglesArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** Everything the session's export holds: keypoints per landmark and axis, angles, timestamps and metrics. Costs one more upstream call, made only when a field of it is selected. */
export type SessionExportContactArgs = {
  frames?: InputMaybe<FrameRangeInput>;
};


/** Everything the session's export holds: keypoints per landmark and axis, angles, timestamps and metrics. Costs one more upstream call, made only when a field of it is selected. */
export type SessionExportKeypointsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** Everything the session's export holds: keypoints per landmark and axis, angles, timestamps and metrics. Costs one more upstream call, made only when a field of it is selected. */
export type SessionExportMetricsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** Everything the session's export holds: keypoints per landmark and axis, angles, timestamps and metrics. Costs one more upstream call, made only when a field of it is selected. */
export type SessionExportTimestampsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
};

export type Subscription = {
  __typename?: 'Subscription';
  /** The session's analyzed-video status: the current one at once, then each change; completes after READY (with the URL) or FAILED. */
  analyzedVideo: AnalyzedVideoEvent;
  /** Several sessions on one subscription, for dashboards: each one's current status at once, then every change; completes when all are READY or FAILED. */
  analyzedVideos: AnalyzedVideoEvent;
};


export type SubscriptionAnalyzedVideoArgs = {
  activity?: InputMaybe<Activity>;
  id: Scalars['ID']['input'];
};


export type SubscriptionAnalyzedVideosArgs = {
  ids: Array<Scalars['ID']['input']>;
};

/** Where the analyzed (annotated) video of a session stands. */
export enum VideoStatus {
  Failed = 'FAILED',
  Processing = 'PROCESSING',
  Ready = 'READY'
}

/** A weightlifting session. */
export type WeightliftingSession = Node & Session & {
  __typename?: 'WeightliftingSession';
  /** The sport this session analyses. */
  activity: Activity;
  /** The analyzed video and its status. Free when the session's payload holds the URL; otherwise one call to the analyzed-video endpoint, which alone can tell PROCESSING from FAILED. */
  analyzedVideo: AnalyzedVideo;
  /** Joint angles in degrees; a single number is a one-value series. */
  angles: Array<Series>;
  /** When the session was created (ISO-8601; the upstream's time is taken as UTC). */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** The lift: `snatch`, `clean` or `clean_and_jerk`. */
  exercise?: Maybe<Scalars['String']['output']>;
  /** The session's full export (keypoints and more): one more upstream call, made only when one of its fields is selected. */
  export: SessionExport;
  /** Opaque global id: encodes the activity and the upstream id. */
  id: Scalars['ID']['output'];
  /** The lift analysis: one image per measurement (hip height, bar speed, bar path, ...), in the language asked for. One upstream call, made only when selected, whichever languages are asked for. */
  liftAnalysis?: Maybe<Array<AnalysisImage>>;
  /** The session's performance metrics, in whatever form sent. */
  metrics: Array<Metric>;
  /** Coaching recommendations per metric (`text_bar_speed`, ...), in the language asked for. One upstream call, made only when selected. */
  recommendations?: Maybe<Array<LocalizedText>>;
  /** The report's per-frame curves, e.g. bar height (`bar`) and hip speed. */
  reportMetrics: Array<Series>;
  /** The upstream's own session id. */
  sessionId: Scalars['String']['output'];
  /** The time of each analysed frame, in seconds. */
  timestamps?: Maybe<Scalars['FloatSeries']['output']>;
  /** The session's title. */
  title?: Maybe<Scalars['String']['output']>;
  /** The name of the athlete the session belongs to. */
  userName?: Maybe<Scalars['String']['output']>;
  /** The URL of the original uploaded video. */
  videoUrl?: Maybe<Scalars['String']['output']>;
};


/** A weightlifting session. */
export type WeightliftingSessionAnglesArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** A weightlifting session. */
export type WeightliftingSessionLiftAnalysisArgs = {
  language?: Language;
};


/** A weightlifting session. */
export type WeightliftingSessionMetricsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** A weightlifting session. */
export type WeightliftingSessionRecommendationsArgs = {
  language?: Language;
};


/** A weightlifting session. */
export type WeightliftingSessionReportMetricsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
  names?: InputMaybe<Array<Scalars['String']['input']>>;
};


/** A weightlifting session. */
export type WeightliftingSessionTimestampsArgs = {
  frames?: InputMaybe<FrameRangeInput>;
};

export type SessionsQueryVariables = Exact<{
  first: Scalars['Int']['input'];
  activity?: InputMaybe<Activity>;
}>;


export type SessionsQuery = { __typename?: 'Query', sessions: { __typename?: 'SessionConnection', totalCount: number, edges: Array<{ __typename?: 'SessionEdge', node?: { __typename?: 'JumpingSession', endFrames?: Array<number> | null, id: string, title?: string | null, createdAt?: any | null, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus, url?: string | null } } | { __typename?: 'RunningSession', id: string, title?: string | null, createdAt?: any | null, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus, url?: string | null } } | { __typename?: 'WeightliftingSession', exercise?: string | null, id: string, title?: string | null, createdAt?: any | null, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus, url?: string | null } } | null }> } };

export type SessionQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type SessionQuery = { __typename?: 'Query', session?: { __typename?: 'JumpingSession', id: string, title?: string | null, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus, url?: string | null }, angles: Array<{ __typename?: 'Series', name: string, values: any }> } | { __typename?: 'RunningSession', id: string, title?: string | null, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus, url?: string | null }, angles: Array<{ __typename?: 'Series', name: string, values: any }> } | { __typename?: 'WeightliftingSession', id: string, title?: string | null, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus, url?: string | null }, angles: Array<{ __typename?: 'Series', name: string, values: any }> } | null };

export type SessionPageQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type SessionPageQuery = { __typename?: 'Query', session?: { __typename?: 'JumpingSession', id: string, title?: string | null, export: { __typename?: 'SessionExport', timestamps?: any | null, metrics: Array<{ __typename?: 'Metric', name: string }> }, metrics: Array<{ __typename?: 'Metric', name: string, value?: number | null }> } | { __typename?: 'RunningSession', id: string, title?: string | null, export: { __typename?: 'SessionExport', timestamps?: any | null, metrics: Array<{ __typename?: 'Metric', name: string }> }, metrics: Array<{ __typename?: 'Metric', name: string, value?: number | null }> } | { __typename?: 'WeightliftingSession', id: string, title?: string | null, export: { __typename?: 'SessionExport', timestamps?: any | null, metrics: Array<{ __typename?: 'Metric', name: string }> }, metrics: Array<{ __typename?: 'Metric', name: string, value?: number | null }> } | null };

export type RenameMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  title: Scalars['String']['input'];
}>;


export type RenameMutation = { __typename?: 'Mutation', updateSession: { __typename?: 'JumpingSession', id: string, title?: string | null } | { __typename?: 'RunningSession', id: string, title?: string | null } | { __typename?: 'WeightliftingSession', id: string, title?: string | null } };

export type RequestVideoMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type RequestVideoMutation = { __typename?: 'Mutation', requestAnalyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus, url?: string | null } };

export type VideoReadySubscriptionVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type VideoReadySubscription = { __typename?: 'Subscription', analyzedVideo: { __typename?: 'AnalyzedVideoEvent', status: VideoStatus, session: { __typename?: 'JumpingSession', id: string, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus, url?: string | null } } | { __typename?: 'RunningSession', id: string, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus, url?: string | null } } | { __typename?: 'WeightliftingSession', id: string, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus, url?: string | null } } } };

export type CreateSessionMutationVariables = Exact<{
  video?: InputMaybe<Scalars['Upload']['input']>;
  input: CreateSessionInput;
}>;


export type CreateSessionMutation = { __typename?: 'Mutation', createSession: { __typename?: 'JumpingSession', id: string, title?: string | null, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus } } | { __typename?: 'RunningSession', id: string, title?: string | null, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus } } | { __typename?: 'WeightliftingSession', id: string, title?: string | null, analyzedVideo: { __typename?: 'AnalyzedVideo', status: VideoStatus } } };


export const SessionsDocument = {"__meta__":{"hash":"44950530771095849bf1c90836aef978a2654d93e62093c4c4e52e4f240b5168"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Sessions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"activity"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Activity"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sessions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"activity"},"value":{"kind":"Variable","name":{"kind":"Name","value":"activity"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"analyzedVideo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"WeightliftingSession"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"exercise"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"JumpingSession"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"endFrames"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SessionsQuery, SessionsQueryVariables>;
export const SessionDocument = {"__meta__":{"hash":"9c48ada86f7915b8ac607c7c4a2e4f458775878d81ee2e77ec3ec811285dbc37"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Session"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"session"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"analyzedVideo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}},{"kind":"Field","name":{"kind":"Name","value":"angles"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"names"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"lkne_angle","block":false}]}},{"kind":"Argument","name":{"kind":"Name","value":"frames"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"start"},"value":{"kind":"IntValue","value":"0"}},{"kind":"ObjectField","name":{"kind":"Name","value":"end"},"value":{"kind":"IntValue","value":"3"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"values"}}]}}]}}]}}]} as unknown as DocumentNode<SessionQuery, SessionQueryVariables>;
export const SessionPageDocument = {"__meta__":{"hash":"af9b3bdc6ff0c954962a80786e384c06e75597f549edd7618ef5880781ccf20c"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SessionPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"session"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"metrics"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"value"}}]}},{"kind":"InlineFragment","directives":[{"kind":"Directive","name":{"kind":"Name","value":"defer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"label"},"value":{"kind":"StringValue","value":"export","block":false}}]}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"export"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"timestamps"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"frames"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"start"},"value":{"kind":"IntValue","value":"0"}},{"kind":"ObjectField","name":{"kind":"Name","value":"end"},"value":{"kind":"IntValue","value":"3"}}]}}]},{"kind":"Field","name":{"kind":"Name","value":"metrics"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SessionPageQuery, SessionPageQueryVariables>;
export const RenameDocument = {"__meta__":{"hash":"13e56bd0a5669b4385dec8872b434c5d6171cd802f9c69321e312a7acd341c8e"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Rename"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"title"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateSession"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"title"},"value":{"kind":"Variable","name":{"kind":"Name","value":"title"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}}]}}]}}]} as unknown as DocumentNode<RenameMutation, RenameMutationVariables>;
export const RequestVideoDocument = {"__meta__":{"hash":"bb40d94004bd0f1071726b958e36b52b399b87e098c6bffa2f3a26d961fb7eff"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RequestVideo"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestAnalyzedVideo"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}}]}}]} as unknown as DocumentNode<RequestVideoMutation, RequestVideoMutationVariables>;
export const VideoReadyDocument = {"__meta__":{"hash":"26c6f8d6257c2d9581ce292790b54fb1fe6053cfbd9472a661e249c9b4aa6b57"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"VideoReady"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"analyzedVideo"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"analyzedVideo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}}]}}]}}]}}]} as unknown as DocumentNode<VideoReadySubscription, VideoReadySubscriptionVariables>;
export const CreateSessionDocument = {"__meta__":{"hash":"3eff3c16ade1d848fae766271b41b5d59276b2863bf26b16934c6ffde904e39a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateSession"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"video"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Upload"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateSessionInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createSession"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"video"},"value":{"kind":"Variable","name":{"kind":"Name","value":"video"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"analyzedVideo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<CreateSessionMutation, CreateSessionMutationVariables>;