//! Grading a quiz answer. A single-choice quiz is passed by picking its right choice; a
//! multiple-choice one by picking every right choice and no wrong one. Each wrong
//! choice picked comes back with the lesson's reason, which is what the learner reads.

use std::collections::BTreeSet;

use crate::lessons::{Choice, Quiz};

/// What one answer came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuizOutcome {
    pub passed: bool,
    /// The wrong choices picked, by index.
    pub wrong: Vec<usize>,
    /// How many right choices were not picked (of a multiple-choice quiz).
    pub missed: usize,
}

/// Why an answer cannot be graded at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("pick an answer first")]
    Nothing,
    #[error("the quiz has {count} choices (counted from 0), so there is no choice {choice}")]
    NoSuchChoice { choice: usize, count: usize },
    #[error("pick one answer: this quiz has a single right one")]
    MoreThanOne,
}

pub fn grade(quiz: &Quiz, picked: &[usize]) -> Result<QuizOutcome, AnswerError> {
    let picked: BTreeSet<usize> = picked.iter().copied().collect();
    if picked.is_empty() {
        return Err(AnswerError::Nothing);
    }
    let count = quiz.choices.len();
    if let Some(&choice) = picked.iter().find(|&&c| c >= count) {
        return Err(AnswerError::NoSuchChoice { choice, count });
    }
    if !quiz.is_multiple() && picked.len() > 1 {
        return Err(AnswerError::MoreThanOne);
    }
    let is_right = |index: usize| quiz.choices[index].right;
    let wrong: Vec<usize> = picked.iter().copied().filter(|&c| !is_right(c)).collect();
    // A single-choice answer is one pick, right or wrong: nothing more to miss.
    let missed = if quiz.is_multiple() {
        (0..count)
            .filter(|&c| is_right(c) && !picked.contains(&c))
            .count()
    } else {
        0
    };
    Ok(QuizOutcome {
        passed: wrong.is_empty() && missed == 0,
        wrong,
        missed,
    })
}

/// What the room and the results say of an answer: the choices picked, as written.
pub fn describe_answer(quiz: &Quiz, picked: &[usize]) -> String {
    let answers: Vec<&str> = picked
        .iter()
        .filter_map(|&c| quiz.choices.get(c))
        .map(|choice: &Choice| choice.answer.text.as_str())
        .collect();
    format!("Answered: {}", answers.join("; "))
}

/// What the room reads as the reason a wrong answer failed: the lesson's words.
pub fn reason(quiz: &Quiz, outcome: &QuizOutcome) -> Option<String> {
    if outcome.passed {
        return None;
    }
    let mut lines: Vec<String> = outcome
        .wrong
        .iter()
        .filter_map(|&c| quiz.choices[c].why.as_ref())
        .map(|why| why.text.clone())
        .collect();
    if outcome.missed > 0 {
        lines.push(missed_sentence(outcome.missed));
    }
    Some(lines.join("\n"))
}

fn missed_sentence(missed: usize) -> String {
    match missed {
        1 => "One more choice is right too.".to_string(),
        n => format!("{n} more choices are right too."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::Markdown;

    fn quiz(rights: &[bool]) -> Quiz {
        let text = |t: String| Markdown {
            html: t.clone(),
            text: t,
        };
        Quiz {
            line: 1,
            question_html: "<p>Which?</p>".into(),
            choices: rights
                .iter()
                .enumerate()
                .map(|(i, &right)| Choice {
                    answer: text(format!("choice {i}")),
                    right,
                    why: (!right).then(|| text(format!("{i} is wrong"))),
                })
                .collect(),
        }
    }

    #[test]
    fn a_single_choice_quiz_passes_on_its_right_choice_only() {
        let quiz = quiz(&[false, true, false]);
        assert!(grade(&quiz, &[1]).unwrap().passed);
        let wrong = grade(&quiz, &[2]).unwrap();
        assert_eq!(
            (wrong.passed, wrong.wrong.clone(), wrong.missed),
            (false, vec![2], 0)
        );
        assert_eq!(reason(&quiz, &wrong).as_deref(), Some("2 is wrong"));
        assert_eq!(grade(&quiz, &[1, 2]), Err(AnswerError::MoreThanOne));
        assert_eq!(grade(&quiz, &[]), Err(AnswerError::Nothing));
        assert_eq!(
            grade(&quiz, &[3]),
            Err(AnswerError::NoSuchChoice {
                choice: 3,
                count: 3
            })
        );
        assert_eq!(describe_answer(&quiz, &[2]), "Answered: choice 2");
    }

    #[test]
    fn a_multiple_choice_quiz_needs_every_right_choice_and_no_wrong_one() {
        let quiz = quiz(&[true, false, true]);
        assert!(grade(&quiz, &[0, 2]).unwrap().passed);
        assert!(
            grade(&quiz, &[2, 0, 2]).unwrap().passed,
            "repeats count once"
        );
        let partial = grade(&quiz, &[0]).unwrap();
        assert_eq!((partial.passed, partial.missed), (false, 1));
        assert_eq!(
            reason(&quiz, &partial).as_deref(),
            Some("One more choice is right too.")
        );
        let all = grade(&quiz, &[0, 1, 2]).unwrap();
        assert_eq!((all.passed, all.wrong), (false, vec![1]));
    }
}
