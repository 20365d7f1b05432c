
      export type PossibleTypesResultData = {
  "possibleTypes": {
    "Node": [
      "JumpingSession",
      "RunningSession",
      "WeightliftingSession"
    ],
    "Session": [
      "JumpingSession",
      "RunningSession",
      "WeightliftingSession"
    ]
  }
};
      const result: PossibleTypesResultData = {
  "possibleTypes": {
    "Node": [
      "JumpingSession",
      "RunningSession",
      "WeightliftingSession"
    ],
    "Session": [
      "JumpingSession",
      "RunningSession",
      "WeightliftingSession"
    ]
  }
};
      export default result;
    