// The OpenAPI 3.1 document of `jobforge serve`, served at /openapi.json. It is docs/openapi.json,
// byte for byte (a test compares them): edit that file, then paste it here between the markers.
enum OpenAPIDocument {
    static let text = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "JobForge read-only API",
    "version": "1.0.0",
    "description": "`jobforge serve`: the store's titles, profiles, cell explanations, descriptors, coverage, review queue and TBS groups, read-only. Errors are RFC 9457 problem details."
  },
  "servers": [
    {
      "url": "http://127.0.0.1:8080"
    }
  ],
  "paths": {
    "/api/titles": {
      "get": {
        "summary": "The job titles, a page at a time",
        "operationId": "listTitles",
        "parameters": [
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Titles per page.",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000,
              "default": 100
            }
          },
          {
            "name": "offset",
            "in": "query",
            "required": false,
            "description": "Titles to skip; past the last title is a 404.",
            "schema": {
              "type": "integer",
              "minimum": 0,
              "default": 0
            }
          },
          {
            "name": "unresolved",
            "in": "query",
            "required": false,
            "description": "Only titles without a profile, as `titles --unresolved`.",
            "schema": {
              "type": "boolean"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TitlePage"
                }
              }
            }
          },
          "400": {
            "description": "Problem details (RFC 9457)",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "404": {
            "description": "Problem details (RFC 9457)",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/api/titles/{id}": {
      "get": {
        "summary": "One profile, as `show --json` (a title's id or exact title, a profile or a unit group)",
        "operationId": "getProfile",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "A job title's id or exact title, an OaSIS profile or a unit group.",
            "schema": {
              "type": "string"
            },
            "example": "JA-0002"
          },
          {
            "name": "source",
            "in": "query",
            "required": false,
            "description": "Only values from these sources (comma-separated), as `show --source`.",
            "schema": {
              "type": "string",
              "pattern": "^(authoritative|onet|llm)(,(authoritative|onet|llm))*$"
            }
          },
          {
            "name": "min_confidence",
            "in": "query",
            "required": false,
            "description": "Only values with at least this confidence, as `show --min-confidence`.",
            "schema": {
              "type": "number",
              "minimum": 0,
              "maximum": 1
            }
          },
          {
            "name": "category",
            "in": "query",
            "required": false,
            "description": "Only these categories (comma-separated: skills, work-context, ...), as `show --category`.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Profile"
                }
              }
            }
          },
          "400": {
            "description": "Problem details (RFC 9457)",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "404": {
            "description": "Problem details (RFC 9457)",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/api/cells/{subject}/{descriptor}": {
      "get": {
        "summary": "One cell's story, as `explain --json`",
        "operationId": "explainCell",
        "parameters": [
          {
            "name": "subject",
            "in": "path",
            "required": true,
            "description": "As for /api/titles/{id}.",
            "schema": {
              "type": "string"
            },
            "example": "JA-0002"
          },
          {
            "name": "descriptor",
            "in": "path",
            "required": true,
            "description": "A guide code (A01a02) or a descriptor's name.",
            "schema": {
              "type": "string"
            },
            "example": "F01b02"
          },
          {
            "name": "dimension",
            "in": "query",
            "required": false,
            "description": "Only this dimension (level, importance, ...).",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/CellStory"
                  }
                }
              }
            }
          },
          "404": {
            "description": "Problem details (RFC 9457)",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/api/descriptors": {
      "get": {
        "summary": "The descriptor guide, as `descriptors --json`",
        "operationId": "listDescriptors",
        "parameters": [
          {
            "name": "category",
            "in": "query",
            "required": false,
            "description": "Only this category: its slug (other spellings of its name, such as work-context, are accepted too).",
            "schema": {
              "type": "string",
              "enum": [
                "skills",
                "abilities",
                "personal_attributes",
                "knowledge",
                "work_activities",
                "work_context",
                "interests"
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/DescriptorInfo"
                  }
                }
              }
            }
          },
          "400": {
            "description": "Problem details (RFC 9457)",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/api/coverage": {
      "get": {
        "summary": "Cells of the titles filled per source and still empty, per category and dimension",
        "operationId": "getCoverage",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Coverage"
                }
              }
            }
          }
        }
      }
    },
    "/api/review": {
      "get": {
        "summary": "Titles that need a person (unresolved, low confidence), with the action for each",
        "operationId": "getReview",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/ReviewItem"
                  }
                }
              }
            }
          }
        }
      }
    },
    "/api/tbs/groups": {
      "get": {
        "summary": "The Treasury Board's occupational groups table as last scraped",
        "operationId": "getTBSGroups",
        "parameters": [
          {
            "name": "lang",
            "in": "query",
            "required": false,
            "description": "The table's language.",
            "schema": {
              "type": "string",
              "enum": [
                "en",
                "fr"
              ],
              "default": "en"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TBSGroups"
                }
              }
            }
          },
          "400": {
            "description": "Problem details (RFC 9457)",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "404": {
            "description": "Problem details (RFC 9457)",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/": {
      "get": {
        "summary": "The report page (as `jobforge report`)",
        "operationId": "getReportPage",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/titles/{id}": {
      "get": {
        "summary": "One title's printable profile sheet",
        "operationId": "getSheetPage",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "A job title's id.",
            "schema": {
              "type": "string"
            },
            "example": "JA-0002"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "404": {
            "description": "Problem details (RFC 9457)",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document",
        "operationId": "getOpenAPI",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "Problem": {
        "type": "object",
        "required": [
          "type",
          "title",
          "status",
          "detail"
        ],
        "properties": {
          "type": {
            "type": "string"
          },
          "title": {
            "type": "string"
          },
          "status": {
            "type": "integer",
            "minimum": 400,
            "maximum": 599
          },
          "detail": {
            "type": "string"
          }
        }
      },
      "Source": {
        "type": "string",
        "enum": [
          "authoritative",
          "onet",
          "llm"
        ]
      },
      "Subject": {
        "type": "object",
        "required": [
          "kind",
          "code"
        ],
        "properties": {
          "kind": {
            "type": "string",
            "enum": [
              "unit_group",
              "profile",
              "title"
            ]
          },
          "code": {
            "type": "string"
          }
        }
      },
      "TitlePage": {
        "type": "object",
        "required": [
          "total",
          "limit",
          "offset",
          "items"
        ],
        "properties": {
          "total": {
            "type": "integer",
            "minimum": 0
          },
          "limit": {
            "type": "integer"
          },
          "offset": {
            "type": "integer"
          },
          "items": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "id",
                "title",
                "method",
                "confidence"
              ],
              "properties": {
                "id": {
                  "type": "string"
                },
                "title": {
                  "type": "string"
                },
                "titleFR": {
                  "type": "string"
                },
                "noc2021": {
                  "type": "string"
                },
                "unitGroup": {
                  "type": "string"
                },
                "profileCode": {
                  "type": "string"
                },
                "method": {
                  "type": "string"
                },
                "confidence": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                }
              }
            }
          }
        }
      },
      "CellValue": {
        "type": "object",
        "required": [
          "subject",
          "descriptorCode",
          "descriptorName",
          "category",
          "dimension",
          "value",
          "source",
          "precedence",
          "method",
          "sourceLevel",
          "sourceIDs",
          "confidence",
          "observedAt",
          "runID",
          "metadata",
          "isWinner"
        ],
        "properties": {
          "subject": {
            "$ref": "#/components/schemas/Subject"
          },
          "descriptorCode": {
            "type": "string"
          },
          "descriptorName": {
            "type": "string"
          },
          "category": {
            "type": "string"
          },
          "dimension": {
            "type": "string"
          },
          "value": {
            "type": "number"
          },
          "text": {
            "type": "string"
          },
          "scale": {
            "type": "string"
          },
          "source": {
            "$ref": "#/components/schemas/Source"
          },
          "precedence": {
            "type": "integer"
          },
          "method": {
            "type": "string"
          },
          "sourceLevel": {
            "type": "string",
            "enum": [
              "L5",
              "L6",
              "L7"
            ]
          },
          "sourceIDs": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "confidence": {
            "type": "number",
            "minimum": 0,
            "maximum": 1
          },
          "rationale": {
            "type": "string"
          },
          "release": {
            "type": "string"
          },
          "observedAt": {
            "type": "string",
            "format": "date-time"
          },
          "runID": {
            "type": "string"
          },
          "metadata": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "candidateID": {
            "type": "integer"
          },
          "isWinner": {
            "type": "boolean"
          },
          "scalePosition": {
            "type": "integer"
          }
        }
      },
      "Profile": {
        "type": "object",
        "required": [
          "subject",
          "label",
          "related",
          "details",
          "categories"
        ],
        "properties": {
          "subject": {
            "$ref": "#/components/schemas/Subject"
          },
          "label": {
            "type": "string"
          },
          "leadStatement": {
            "type": "string"
          },
          "related": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "details": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "categories": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "category",
                "cells"
              ],
              "properties": {
                "category": {
                  "type": "string"
                },
                "cells": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/CellValue"
                  }
                }
              }
            }
          }
        }
      },
      "CellStory": {
        "type": "object",
        "required": [
          "subject",
          "subjectLabel",
          "descriptor",
          "dimension",
          "why",
          "candidates",
          "overrides"
        ],
        "properties": {
          "subject": {
            "$ref": "#/components/schemas/Subject"
          },
          "subjectLabel": {
            "type": "string"
          },
          "descriptor": {
            "$ref": "#/components/schemas/Descriptor"
          },
          "scale": {
            "$ref": "#/components/schemas/DescriptorScale"
          },
          "dimension": {
            "type": "string"
          },
          "winner": {
            "type": "object"
          },
          "why": {
            "type": "string"
          },
          "candidates": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "candidate",
                "isWinner",
                "runID"
              ],
              "properties": {
                "candidate": {
                  "type": "object",
                  "required": [
                    "value",
                    "source",
                    "confidence"
                  ],
                  "properties": {
                    "value": {
                      "type": "number"
                    },
                    "source": {
                      "$ref": "#/components/schemas/Source"
                    },
                    "confidence": {
                      "type": "number"
                    }
                  }
                },
                "isWinner": {
                  "type": "boolean"
                },
                "runID": {
                  "type": "string"
                }
              }
            }
          },
          "overrides": {
            "type": "array",
            "items": {
              "type": "object"
            }
          }
        }
      },
      "Descriptor": {
        "type": "object",
        "required": [
          "code",
          "name",
          "category",
          "structureType",
          "definition"
        ],
        "properties": {
          "code": {
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "category": {
            "type": "string"
          },
          "structureType": {
            "type": "string"
          },
          "parent": {
            "type": "string"
          },
          "definition": {
            "type": "string"
          },
          "origin": {
            "type": "string"
          },
          "sortKey": {
            "type": "integer"
          }
        }
      },
      "DescriptorScale": {
        "type": "object",
        "required": [
          "descriptorCode",
          "dimension",
          "minimum",
          "maximum",
          "label",
          "position"
        ],
        "properties": {
          "descriptorCode": {
            "type": "string"
          },
          "dimension": {
            "type": "string"
          },
          "minimum": {
            "type": "number"
          },
          "maximum": {
            "type": "number"
          },
          "label": {
            "type": "string"
          },
          "notApplicable": {
            "type": "number"
          },
          "position": {
            "type": "integer"
          }
        }
      },
      "DescriptorInfo": {
        "type": "object",
        "required": [
          "descriptor",
          "scales"
        ],
        "properties": {
          "descriptor": {
            "$ref": "#/components/schemas/Descriptor"
          },
          "scales": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/DescriptorScale"
            }
          }
        }
      },
      "CellTally": {
        "type": "object",
        "required": [
          "authoritative",
          "onet",
          "llm",
          "empty",
          "possible"
        ],
        "additionalProperties": false,
        "properties": {
          "authoritative": {
            "type": "integer",
            "minimum": 0
          },
          "onet": {
            "type": "integer",
            "minimum": 0
          },
          "llm": {
            "type": "integer",
            "minimum": 0
          },
          "empty": {
            "type": "integer",
            "minimum": 0
          },
          "possible": {
            "type": "integer",
            "minimum": 0
          }
        }
      },
      "Coverage": {
        "type": "object",
        "required": [
          "titleCount",
          "resolvedTitleCount",
          "possibleCellsPerTitle",
          "total",
          "categories",
          "titles"
        ],
        "properties": {
          "titleCount": {
            "type": "integer"
          },
          "resolvedTitleCount": {
            "type": "integer"
          },
          "possibleCellsPerTitle": {
            "type": "integer"
          },
          "total": {
            "$ref": "#/components/schemas/CellTally"
          },
          "categories": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "category",
                "cells",
                "dimensions"
              ],
              "properties": {
                "category": {
                  "type": "string"
                },
                "cells": {
                  "$ref": "#/components/schemas/CellTally"
                },
                "dimensions": {
                  "type": "array",
                  "items": {
                    "type": "object",
                    "required": [
                      "dimension",
                      "cells"
                    ],
                    "properties": {
                      "dimension": {
                        "type": "string"
                      },
                      "cells": {
                        "$ref": "#/components/schemas/CellTally"
                      }
                    }
                  }
                }
              }
            }
          },
          "titles": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "id",
                "title",
                "resolutionMethod",
                "resolutionConfidence",
                "cells"
              ],
              "properties": {
                "id": {
                  "type": "string"
                },
                "title": {
                  "type": "string"
                },
                "titleFR": {
                  "type": "string"
                },
                "profileCode": {
                  "type": "string"
                },
                "resolutionMethod": {
                  "type": "string"
                },
                "resolutionConfidence": {
                  "type": "number"
                },
                "cells": {
                  "$ref": "#/components/schemas/CellTally"
                }
              }
            }
          }
        }
      },
      "ReviewItem": {
        "type": "object",
        "required": [
          "id",
          "title",
          "reason",
          "method",
          "confidence",
          "note",
          "action"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "title": {
            "type": "string"
          },
          "reason": {
            "type": "string",
            "enum": [
              "no_code",
              "unknown_code",
              "ambiguous_noc2016",
              "no_profile",
              "code_in_doubt",
              "tie",
              "low_confidence"
            ]
          },
          "method": {
            "type": "string"
          },
          "confidence": {
            "type": "number"
          },
          "note": {
            "type": "string"
          },
          "action": {
            "type": "string"
          }
        }
      },
      "TBSGroups": {
        "type": "object",
        "required": [
          "language",
          "pageVersion",
          "url",
          "rows"
        ],
        "properties": {
          "language": {
            "type": "string"
          },
          "pageVersion": {
            "type": "integer"
          },
          "url": {
            "type": "string"
          },
          "rows": {
            "type": "array",
            "items": {
              "type": "object"
            }
          }
        }
      }
    }
  }
}

"""#
}
